//! Destinations a tenant configures, kept away from the platform's own network (see
//! [`DestinationPolicy`]).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// What kind of address an IP address is, for deciding whether a tenant's destination may use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressClass {
    /// A globally routable address: allowed by default.
    Public,
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918 (`10/8`, `172.16/12`, `192.168/16`) and carrier-grade NAT (`100.64/10`).
    Private,
    /// `169.254/16` (the cloud metadata address `169.254.169.254` among them), `fe80::/10`.
    LinkLocal,
    /// IPv6 unique-local `fc00::/7`.
    UniqueLocal,
    /// `0.0.0.0/8`, `::` (they reach the local host on Linux).
    Unspecified,
    /// `224/4`, `ff00::/8`.
    Multicast,
    /// Documentation, benchmarking, protocol-assignment, reserved and broadcast ranges
    /// (`192.0.0/24`, `192.0.2/24`, `198.18/15`, `198.51.100/24`, `203.0.113/24`, `240/4`,
    /// `255.255.255.255`, `2001::/23` with Teredo, `2001:db8::/32`, `3fff::/20`, `100::/64`).
    Reserved,
}

impl AddressClass {
    /// A short name (`loopback`, `link-local`, ...), for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Loopback => "loopback",
            Self::Private => "private",
            Self::LinkLocal => "link-local",
            Self::UniqueLocal => "unique-local",
            Self::Unspecified => "unspecified",
            Self::Multicast => "multicast",
            Self::Reserved => "reserved",
        }
    }
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn in_v4(ip: Ipv4Addr, network: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(network)) & mask
}

fn in_v6(ip: Ipv6Addr, network: Ipv6Addr, prefix: u32) -> bool {
    let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix) };
    u128::from(ip) & mask == u128::from(network) & mask
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let ranges: [([u8; 4], u32, AddressClass); 16] = [
        ([0, 0, 0, 0], 8, AddressClass::Unspecified),
        ([10, 0, 0, 0], 8, AddressClass::Private),
        ([100, 64, 0, 0], 10, AddressClass::Private),
        ([127, 0, 0, 0], 8, AddressClass::Loopback),
        ([169, 254, 0, 0], 16, AddressClass::LinkLocal),
        ([172, 16, 0, 0], 12, AddressClass::Private),
        ([192, 0, 0, 0], 24, AddressClass::Reserved),
        ([192, 0, 2, 0], 24, AddressClass::Reserved),
        ([192, 168, 0, 0], 16, AddressClass::Private),
        ([198, 18, 0, 0], 15, AddressClass::Reserved),
        ([198, 51, 100, 0], 24, AddressClass::Reserved),
        ([203, 0, 113, 0], 24, AddressClass::Reserved),
        ([224, 0, 0, 0], 4, AddressClass::Multicast),
        ([240, 0, 0, 0], 4, AddressClass::Reserved),
        ([255, 255, 255, 255], 32, AddressClass::Reserved),
        // 192.88.99.0/24: the deprecated 6to4 relay anycast.
        ([192, 88, 99, 0], 24, AddressClass::Reserved),
    ];
    ranges
        .iter()
        .find(|(network, prefix, _)| in_v4(ip, *network, *prefix))
        .map_or(AddressClass::Public, |(_, _, class)| *class)
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    // Addresses that carry an IPv4 address are judged by it: IPv4-mapped (`::ffff:0:0/96`),
    // NAT64 (`64:ff9b::/96`) and the deprecated IPv4-compatible form (`::/96`).
    let carried = |ip: Ipv6Addr| {
        let octets = ip.octets();
        Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15])
    };
    if ip.is_unspecified() {
        return AddressClass::Unspecified;
    }
    if ip.is_loopback() {
        return AddressClass::Loopback;
    }
    let v6 = |text: &str| text.parse::<Ipv6Addr>().unwrap_or(Ipv6Addr::UNSPECIFIED);
    if in_v6(ip, v6("::ffff:0:0"), 96)
        || in_v6(ip, v6("64:ff9b::"), 96)
        || in_v6(ip, Ipv6Addr::UNSPECIFIED, 96)
    {
        return classify_v4(carried(ip));
    }
    // 6to4 (`2002::/16`) carries an IPv4 address in its second and third groups.
    if in_v6(ip, v6("2002::"), 16) {
        let octets = ip.octets();
        return classify_v4(Ipv4Addr::new(octets[2], octets[3], octets[4], octets[5]));
    }
    let ranges: [(&str, u32, AddressClass); 9] = [
        // IETF protocol assignments, Teredo (`2001::/32`, an obfuscated IPv4 address) among them.
        ("2001::", 23, AddressClass::Reserved),
        // Discard-only.
        ("100::", 64, AddressClass::Reserved),
        // Documentation (RFC 9637).
        ("3fff::", 20, AddressClass::Reserved),
        ("fc00::", 7, AddressClass::UniqueLocal),
        ("fe80::", 10, AddressClass::LinkLocal),
        // The deprecated site-local range, private in practice.
        ("fec0::", 10, AddressClass::Private),
        ("ff00::", 8, AddressClass::Multicast),
        ("2001:db8::", 32, AddressClass::Reserved),
        // NAT64 local-use prefix (RFC 8215).
        ("64:ff9b:1::", 48, AddressClass::Private),
    ];
    ranges
        .iter()
        .find(|(network, prefix, _)| in_v6(ip, v6(network), *prefix))
        .map_or(AddressClass::Public, |(_, _, class)| *class)
}

/// Classifies an address (IANA's special-purpose registries; see [`DestinationPolicy`]).
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(ip) => classify_v4(ip),
        IpAddr::V6(ip) => classify_v6(ip),
    }
}

/// Why a destination was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DestinationError {
    /// Not an absolute URL with a host.
    InvalidUrl,
    /// A scheme other than `https` (or `http`, where the policy allows it).
    Scheme(String),
    /// A user name or password in the URL.
    Credentials,
    /// The host is, or resolves only to, addresses the policy refuses.
    Address {
        /// The host as written in the URL.
        host: String,
        /// What kind of address it is (or resolved to).
        class: AddressClass,
    },
    /// The host name did not resolve.
    Unresolved(String),
    /// The HTTP client for the destination could not be built (TLS could not initialise).
    Client,
    /// A broker destination's URL, subject, exchange or routing key is not usable.
    Broker(&'static str),
}

impl fmt::Display for DestinationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl => f.write_str("destination url: not an absolute http(s) url with a host"),
            Self::Scheme(inner) => write!(
                f,
                "destination url: scheme `{inner}` is not allowed (https only unless plain http is allowed)"
            ),
            Self::Credentials => f.write_str("destination url: credentials in the url are not allowed"),
            Self::Address { host, class, .. } => write!(
                f,
                "destination address not allowed: {host} is a {class} address (private targets are an explicit opt-in)"
            ),
            Self::Unresolved(inner) => write!(f, "destination unreachable: {inner} does not resolve"),
            Self::Client => {
                f.write_str("destination: the HTTP client could not be built (TLS initialisation failed)")
            }
            Self::Broker(inner) => write!(f, "broker destination: {inner}"),
        }
    }
}

impl std::error::Error for DestinationError {}

/// Which destinations a relay may connect to: public addresses over `https` by default.
///
/// A relay posts to URLs its customers type in. Without a check, a customer who sets
/// `http://169.254.169.254/latest/meta-data/` or `http://127.0.0.1:6379/` gets the platform to
/// call its cloud metadata service or its Redis, and reads the answers (or the way they fail)
/// from the delivery log. A [`DestinationPolicy`] stops that:
///
/// - the URL is checked when it is set: `https` only (plain `http` is an opt-in), no user name or
///   password in it, and an IP literal must be an allowed address;
/// - at **every connection** the host name is resolved by the policy's own resolver, every
///   address is [classified](classify), and only allowed addresses are handed to the HTTP client,
///   which connects to exactly those (there is no second resolution, so a name that answers a
///   public address to the check and `127.0.0.1` to the connection, DNS rebinding, gets nowhere);
/// - redirects are never followed and environment proxies are ignored (a proxy would resolve the
///   name itself);
/// - what a failed attempt records is a coarse [`FailureCategory`] (address not allowed,
///   unreachable, answered with a status), never "refused" versus "timed out" per port.
///
/// Loopback, private (RFC 1918, carrier-grade NAT), link-local (with the cloud metadata address
/// `169.254.169.254`), unique-local, unspecified, multicast, documentation, benchmarking and
/// reserved ranges are refused, IPv4-mapped and NAT64 IPv6 addresses by the IPv4 address they
/// carry. Tests and on-premise customers opt in with
/// [`allow_private_targets`](DestinationPolicy::allow_private_targets) or an allow-list
/// ([`allow_network`](DestinationPolicy::allow_network)).
///
/// ```
/// use std::net::IpAddr;
/// use meta_messaging::delivery::{AddressClass, DestinationPolicy, classify};
///
/// let metadata: IpAddr = "169.254.169.254".parse().unwrap();
/// assert_eq!(classify(metadata), AddressClass::LinkLocal);
/// assert!(!DestinationPolicy::default().permits(metadata));
/// assert!(DestinationPolicy::default().permits("203.0.114.7".parse().unwrap()));
/// ```
///
/// ```
/// use meta_messaging::delivery::DestinationPolicy;
///
/// // Tests, and on-premise customers the operator trusts:
/// let lab = DestinationPolicy::default().allow_private_targets(true).allow_http(true);
/// assert!(lab.check_url("http://127.0.0.1:8080/hooks").is_ok());
/// assert!(DestinationPolicy::default().check_url("http://127.0.0.1:8080/hooks").is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DestinationPolicy {
    allow_private: bool,
    allow_http: bool,
    networks: Vec<(IpAddr, u8)>,
}

impl DestinationPolicy {
    /// Public addresses over `https` only (the default).
    pub fn public_https() -> Self {
        Self::default()
    }

    /// Whether every address class is allowed: loopback, private, link-local and the rest
    /// (tests, on-premise deployments). Off by default.
    #[must_use]
    pub fn allow_private_targets(mut self, allow: bool) -> Self {
        self.allow_private = allow;
        self
    }

    /// Whether plain `http` URLs are allowed. Off by default.
    #[must_use]
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Allows one network (`address/prefix`) whatever its class, e.g. an on-premise customer's
    /// `10.20.0.0/16`. A prefix longer than the address's is taken as the full length.
    #[must_use]
    pub fn allow_network(mut self, network: IpAddr, prefix: u8) -> Self {
        let max = if network.is_ipv4() { 32 } else { 128 };
        self.networks.push((network, prefix.min(max)));
        self
    }

    /// Whether the policy lets a connection go to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        self.allow_private
            || classify(ip) == AddressClass::Public
            || self.networks.iter().any(|&(network, prefix)| match (ip, network) {
                (IpAddr::V4(ip), IpAddr::V4(network)) => in_v4(ip, network.octets(), u32::from(prefix)),
                (IpAddr::V6(ip), IpAddr::V6(network)) => in_v6(ip, network, u32::from(prefix)),
                _ => false,
            })
    }

    fn refuse(&self, host: &str, ip: IpAddr) -> Result<(), DestinationError> {
        if self.permits(ip) {
            Ok(())
        } else {
            Err(DestinationError::Address { host: host.to_owned(), class: classify(ip) })
        }
    }

    /// Checks a URL without resolving its host: scheme, credentials, and an IP-literal host.
    ///
    /// # Errors
    ///
    /// [`DestinationError`] saying what is refused.
    pub fn check_url(&self, url: &str) -> Result<url::Url, DestinationError> {
        let url = url::Url::parse(url.trim()).map_err(|_| DestinationError::InvalidUrl)?;
        // The address first: a refusal names what an operator must know about.
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.refuse(&ip.to_string(), IpAddr::V4(ip))?,
            Some(url::Host::Ipv6(ip)) => self.refuse(&ip.to_string(), IpAddr::V6(ip))?,
            Some(url::Host::Domain(_)) => {}
            None => return Err(DestinationError::InvalidUrl),
        }
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            other => return Err(DestinationError::Scheme(other.to_owned())),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(DestinationError::Credentials);
        }
        Ok(url)
    }

    /// Checks a URL and resolves its host now: every address it resolves to must be allowed.
    /// For checking a destination when a tenant sets it (the connection is checked again).
    ///
    /// # Errors
    ///
    /// [`DestinationError`]: a refused URL or address, or a name that does not resolve.
    pub async fn vet(&self, url: &str) -> Result<url::Url, DestinationError> {
        let parsed = self.check_url(url)?;
        if let Some(url::Host::Domain(domain)) = parsed.host() {
            let addresses =
                resolve(domain).await.map_err(|_| DestinationError::Unresolved(domain.to_owned()))?;
            for address in &addresses {
                self.refuse(domain, address.ip())?;
            }
        }
        Ok(parsed)
    }

    /// Resolves a broker's host now and returns the address to connect to: every address the
    /// name resolves to must be allowed, and the connection goes to the one checked (a broker
    /// client that resolved again would open the door to DNS rebinding).
    #[cfg(any(feature = "nats", feature = "amqp"))]
    pub(crate) async fn pin(&self, host: &str, port: u16) -> Result<SocketAddr, DestinationError> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            self.refuse(host, ip)?;
            return Ok(SocketAddr::new(ip, port));
        }
        let addresses = resolve(host).await.map_err(|_| DestinationError::Unresolved(host.to_owned()))?;
        for address in &addresses {
            self.refuse(host, address.ip())?;
        }
        Ok(SocketAddr::new(addresses[0].ip(), port))
    }

    /// A resolver for `reqwest` that hands the client only the addresses this policy allows.
    pub(crate) fn resolver(&self) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver { policy: Arc::new(self.clone()) })
    }
}

async fn resolve(host: &str) -> std::io::Result<Vec<SocketAddr>> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
    if addresses.is_empty() {
        return Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no address"));
    }
    Ok(addresses)
}

/// The error a refused resolution gives the HTTP client; found again in the error's sources to
/// categorise the attempt.
#[derive(Debug)]
pub(crate) struct AddressRefused(pub(crate) AddressClass);

impl fmt::Display for AddressRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "destination address not allowed ({})", self.0)
    }
}

impl std::error::Error for AddressRefused {}

/// The policy's resolver: resolves, drops every address the policy refuses, and fails with
/// [`AddressRefused`] when none is left.
#[derive(Debug)]
pub(crate) struct GuardedResolver {
    policy: Arc<DestinationPolicy>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            let addresses = resolve(name.as_str()).await?;
            let first = addresses[0].ip();
            let allowed: Vec<SocketAddr> =
                addresses.into_iter().filter(|address| policy.permits(address.ip())).collect();
            if allowed.is_empty() {
                return Err(
                    Box::new(AddressRefused(classify(first))) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// What a failed delivery attempt records: coarse enough that a tenant reading its delivery log
/// cannot map the network behind the relay (no "refused" versus "timed out" per port).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureCategory {
    /// The destination's address is not allowed by the policy (permanent: the item is
    /// dead-lettered, and replayable once the destination is fixed).
    AddressNotAllowed,
    /// No answer: the name did not resolve, the connection failed or timed out, TLS failed.
    Unreachable,
    /// The destination answered with a status other than `2xx`.
    Status(u16),
}

impl FailureCategory {
    /// Categorises a transport error from the HTTP client.
    pub(crate) fn of(error: &reqwest::Error) -> Self {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(current) = source {
            if current.downcast_ref::<AddressRefused>().is_some() {
                return Self::AddressNotAllowed;
            }
            source = current.source();
        }
        Self::Unreachable
    }
}

impl fmt::Display for FailureCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AddressNotAllowed => f.write_str("destination address not allowed"),
            Self::Unreachable => f.write_str("destination unreachable"),
            Self::Status(status) => write!(f, "destination answered {status}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> AddressClass {
        classify(text.parse().expect("an address"))
    }

    #[test]
    fn special_purpose_ranges_are_classified_without_connecting() {
        let cases = [
            ("127.0.0.1", AddressClass::Loopback),
            ("127.255.255.254", AddressClass::Loopback),
            ("::1", AddressClass::Loopback),
            ("10.1.2.3", AddressClass::Private),
            ("172.16.0.1", AddressClass::Private),
            ("172.31.255.255", AddressClass::Private),
            ("192.168.1.1", AddressClass::Private),
            ("100.64.0.1", AddressClass::Private),
            ("169.254.169.254", AddressClass::LinkLocal),
            ("fe80::1", AddressClass::LinkLocal),
            ("fd00:ec2::254", AddressClass::UniqueLocal),
            ("fc00::1", AddressClass::UniqueLocal),
            ("0.0.0.0", AddressClass::Unspecified),
            ("0.1.2.3", AddressClass::Unspecified),
            ("::", AddressClass::Unspecified),
            ("224.0.0.1", AddressClass::Multicast),
            ("239.255.255.250", AddressClass::Multicast),
            ("ff02::1", AddressClass::Multicast),
            ("192.0.2.1", AddressClass::Reserved),
            ("198.18.0.1", AddressClass::Reserved),
            ("198.51.100.1", AddressClass::Reserved),
            ("203.0.113.9", AddressClass::Reserved),
            ("240.0.0.1", AddressClass::Reserved),
            ("255.255.255.255", AddressClass::Reserved),
            ("2001:db8::1", AddressClass::Reserved),
            // IPv4 carried in IPv6 is judged by the IPv4 address.
            ("::ffff:127.0.0.1", AddressClass::Loopback),
            ("::ffff:169.254.169.254", AddressClass::LinkLocal),
            ("::ffff:10.0.0.1", AddressClass::Private),
            ("64:ff9b::a9fe:a9fe", AddressClass::LinkLocal),
            ("::127.0.0.1", AddressClass::Loopback),
            // Public neighbours of the ranges.
            ("172.32.0.1", AddressClass::Public),
            ("172.15.255.255", AddressClass::Public),
            ("100.128.0.1", AddressClass::Public),
            ("169.255.0.1", AddressClass::Public),
            ("8.8.8.8", AddressClass::Public),
            ("2606:4700::1111", AddressClass::Public),
            ("::ffff:8.8.8.8", AddressClass::Public),
            // 6to4 carrying a private or metadata address, Teredo, discard, documentation.
            ("2002:a9fe:a9fe::1", AddressClass::LinkLocal),
            ("2002:7f00:1::", AddressClass::Loopback),
            ("2002:0808:0808::1", AddressClass::Public),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", AddressClass::Reserved),
            ("100::1", AddressClass::Reserved),
            ("3fff::1", AddressClass::Reserved),
            ("2001:4860:4860::8888", AddressClass::Public),
        ];
        for (address, expected) in cases {
            assert_eq!(class(address), expected, "{address}");
        }
    }

    #[test]
    fn the_default_policy_allows_public_https_only() {
        let policy = DestinationPolicy::default();
        assert!(policy.check_url("https://hooks.example.com/meta").is_ok());
        assert!(
            matches!(policy.check_url("http://hooks.example.com/"), Err(DestinationError::Scheme(s)) if s == "http")
        );
        assert!(matches!(policy.check_url("ftp://hooks.example.com/"), Err(DestinationError::Scheme(_))));
        assert_eq!(
            policy.check_url("https://user:pw@hooks.example.com/"),
            Err(DestinationError::Credentials)
        );
        assert_eq!(policy.check_url("not a url"), Err(DestinationError::InvalidUrl));
        for literal in [
            "https://127.0.0.1/",
            "https://[::1]/",
            "https://169.254.169.254/latest/meta-data/",
            "https://10.0.0.1/",
            "https://0.0.0.0/",
            "https://[::ffff:127.0.0.1]/",
            "https://[fd00::1]/",
            // Other spellings of 127.0.0.1 that the URL parser normalises.
            "https://0x7f.1/",
            "https://2130706433/",
            "https://017700000001/",
        ] {
            assert!(
                matches!(policy.check_url(literal), Err(DestinationError::Address { .. })),
                "{literal} must be refused"
            );
        }
    }

    #[test]
    fn opt_ins_allow_private_targets_plain_http_and_listed_networks() {
        let open = DestinationPolicy::default().allow_private_targets(true).allow_http(true);
        assert!(open.check_url("http://127.0.0.1:8080/").is_ok());
        assert!(open.permits("169.254.169.254".parse().unwrap()));
        let listed = DestinationPolicy::default().allow_network("10.20.0.0".parse().unwrap(), 16);
        assert!(listed.permits("10.20.3.4".parse().unwrap()));
        assert!(!listed.permits("10.21.0.1".parse().unwrap()));
        assert!(!listed.permits("127.0.0.1".parse().unwrap()));
        let v6 = DestinationPolicy::default().allow_network("fd12::".parse().unwrap(), 16);
        assert!(v6.permits("fd12::5".parse().unwrap()));
        assert!(!v6.permits("fd13::5".parse().unwrap()));
    }

    #[test]
    fn refusals_name_the_class_not_a_probe_result() {
        let error = DestinationPolicy::default().check_url("https://169.254.169.254/").unwrap_err();
        assert_eq!(
            error.to_string(),
            "destination address not allowed: 169.254.169.254 is a link-local address (private targets are an explicit opt-in)"
        );
        assert_eq!(FailureCategory::Unreachable.to_string(), "destination unreachable");
        assert_eq!(FailureCategory::Status(503).to_string(), "destination answered 503");
    }
}
