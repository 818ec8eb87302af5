//! The shape of a webhook body, stated once: where events sit, and the one walk that finds them.
//!
//! Every Meta webhook body has the same envelope:
//!
//! ```text
//! { "object": ..., "entry": [ { "id", "time",
//!     "changes":   [ { "field", "value": { ..., <item list>: [ ... ] } } ],   // every platform
//!     "messaging": [ ... ], "standby": [ ... ],                               // Messenger, Instagram
//!     "calls": [ ... ] } ] }                                                   // Messenger calling
//! ```
//!
//! **The event count rule.** Each element of an entry's lists is one event, except a change
//! whose value holds item lists: then each item of those lists is one event (a WhatsApp
//! message, status, value-level error, call, call status, group update, echoed message), and a
//! change whose item lists are all empty is one event of its own. Nothing else is counted.
//!
//! The rule lives in `Cursor::next`; which lists a change has is each platform's
//! `item_lists` (one `match` on the typed value). The typed event iterators, the raw bytes of
//! each event ([`EventSite::locate`], the durable inbox, the relay) and the dedupe keys all
//! follow the [`EventSite`]s this walk yields, so they cannot disagree: adding a webhook kind
//! whose value holds a list of events is one arm in one `match`.
//!
//! Positions count the way the typed parse keeps elements: in `entry[]` and in an entry's
//! `changes`, `messaging`, `standby` and `calls`, only JSON objects (anything else is dropped by the
//! parse, and skipped here); in an item list, every element (an odd one becomes an unknown
//! item, still one event).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

/// A list of an entry that holds events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntryList {
    /// `changes[]`: `{"field", "value"}` items, on every platform.
    Changes,
    /// `messaging[]`: Messenger and Instagram messaging items.
    Messaging,
    /// `standby[]`: messaging items seen while another app holds the thread.
    Standby,
    /// `calls[]`: Messenger calling events (`connect`, `call_status`, `media_update`,
    /// `terminate`), straight in the Page entry.
    Calls,
}

impl EntryList {
    /// The key in the entry.
    pub fn key(self) -> &'static str {
        match self {
            Self::Changes => "changes",
            Self::Messaging => "messaging",
            Self::Standby => "standby",
            Self::Calls => "calls",
        }
    }
}

/// A list inside a change's `value` whose items are one event each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ItemList {
    /// `messages[]`: inbound messages.
    Messages,
    /// `statuses[]`: statuses of sent messages, or of business-initiated calls.
    Statuses,
    /// `errors[]`: value-level errors.
    Errors,
    /// `calls[]`: Calling API events.
    Calls,
    /// `groups[]`: group updates.
    Groups,
    /// `message_echoes[]`: messages the business sent from another app (coexistence).
    MessageEchoes,
}

impl ItemList {
    /// The key in the change's value.
    pub fn key(self) -> &'static str {
        match self {
            Self::Messages => "messages",
            Self::Statuses => "statuses",
            Self::Errors => "errors",
            Self::Calls => "calls",
            Self::Groups => "groups",
            Self::MessageEchoes => "message_echoes",
        }
    }
}

/// Where one event's own object sits in the body: the address the typed walk yields and every
/// raw cut follows.
///
/// ```
/// let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[
///   {"field":"messages","value":{"messaging_product":"whatsapp",
///     "metadata":{"display_phone_number":"15550001111","phone_number_id":"2"},
///     "messages":[{"from":"15550002222","id":"wamid.A","timestamp":"1","type":"text","text":{"body":"hi"}}]}}]}]}"#;
/// let payload: meta_messaging_model::whatsapp::webhook::WhatsAppPayload = serde_json::from_slice(body)?;
/// let (site, event) = payload.events().next_sited().unwrap();
/// assert_eq!(event.message_id(), Some("wamid.A"));
/// let raw = site.locate(body).unwrap();
/// assert!(raw.starts_with(r#"{"from":"15550002222""#));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventSite {
    entry: usize,
    list: EntryList,
    index: usize,
    item: Option<(ItemList, usize)>,
}

impl EventSite {
    /// The entry's position in `entry[]` (counting objects only).
    pub fn entry(&self) -> usize {
        self.entry
    }

    /// The entry's list the event is in.
    pub fn list(&self) -> EntryList {
        self.list
    }

    /// The element's position in that list (counting objects only).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The item list inside the change's value, and the item's position in it; `None` when the
    /// element is the event as a whole.
    pub fn item(&self) -> Option<(ItemList, usize)> {
        self.item
    }

    /// The event's own JSON object, as Meta sent it (its escaping kept), cut from `body`;
    /// `None` when `body` is not the body the site came from.
    pub fn locate<'b>(&self, body: &'b [u8]) -> Option<&'b str> {
        RawCut::new(body)?.event(*self).map(|raw| raw.event.get())
    }
}

/// The item lists of one element and their lengths (at most three per element).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ItemLists {
    lists: [(Option<ItemList>, usize); 3],
}

impl ItemLists {
    /// No item lists: the element is one event.
    pub(crate) const NONE: Self = Self { lists: [(None, 0); 3] };

    /// The lists, in walk order, with their lengths.
    pub(crate) fn of(lists: &[(ItemList, usize)]) -> Self {
        let mut out = Self::NONE;
        for (slot, (list, len)) in out.lists.iter_mut().zip(lists) {
            *slot = (Some(*list), *len);
        }
        out
    }

    fn total(&self) -> usize {
        self.lists.iter().map(|(_, len)| len).sum()
    }

    /// The list and position of the `n`th item across the lists.
    fn locate(&self, mut n: usize) -> Option<(ItemList, usize)> {
        for (list, len) in self.lists {
            if n < len {
                return Some((list?, n));
            }
            n -= len;
        }
        None
    }
}

/// A typed payload the walk can go over: each platform's parsed body.
pub(crate) trait Envelope {
    /// The entry's lists, in the order their events come.
    const LISTS: &'static [EntryList];
    /// How many entries.
    fn entry_count(&self) -> usize;
    /// How many elements `list` has in entry `entry`.
    fn list_len(&self, entry: usize, list: EntryList) -> usize;
    /// The item lists of element `index` of `list` (a change's value): the count rule's one
    /// platform-specific part.
    fn item_lists(&self, entry: usize, list: EntryList, index: usize) -> ItemLists;
}

/// The one walk: yields the [`EventSite`] of every event of a payload, in body order.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Cursor {
    entry: usize,
    list: usize,
    index: usize,
    item: usize,
}

impl Cursor {
    /// The next event's site.
    pub(crate) fn next<E: Envelope>(&mut self, payload: &E) -> Option<EventSite> {
        loop {
            if self.entry >= payload.entry_count() {
                return None;
            }
            let Some(&list) = E::LISTS.get(self.list) else {
                *self = Self { entry: self.entry + 1, ..Self::default() };
                continue;
            };
            if self.index >= payload.list_len(self.entry, list) {
                *self = Self { entry: self.entry, list: self.list + 1, ..Self::default() };
                continue;
            }
            let here = EventSite { entry: self.entry, list, index: self.index, item: None };
            let items = payload.item_lists(self.entry, list, self.index);
            if items.total() == 0 {
                // The element is one event of its own.
                self.index += 1;
                return Some(here);
            }
            if let Some(item) = items.locate(self.item) {
                self.item += 1;
                return Some(EventSite { item: Some(item), ..here });
            }
            // Past the element's last item.
            self.index += 1;
            self.item = 0;
        }
    }
}

/// One event's object and its surroundings, cut from the body.
#[derive(Clone, Copy, Debug)]
#[doc(hidden)]
pub struct RawEvent<'a> {
    /// The entry's `id`.
    pub entry_id: Option<&'a RawValue>,
    /// The entry's `time`.
    pub entry_time: Option<&'a RawValue>,
    /// The change's `field`, for events in `changes`.
    pub field: Option<&'a RawValue>,
    /// The list the event's object is an element of: an item list of the change's value, or
    /// the entry's `changes`, `messaging` or `standby`.
    pub list: Option<&'static str>,
    /// `messaging_product`, `metadata` and `contacts` of the change's value, for item events.
    pub context: [(&'static str, Option<&'a RawValue>); 3],
    /// How many items the change's value holds across its item lists (1 for an element that
    /// is one event): with more than one, the value's `contacts` name other users too.
    pub siblings: usize,
    /// The event's own object.
    pub event: &'a RawValue,
}

/// Every item list, for counting a value's items.
const ITEM_LISTS: [ItemList; 6] = [
    ItemList::Messages,
    ItemList::Statuses,
    ItemList::Errors,
    ItemList::Calls,
    ItemList::Groups,
    ItemList::MessageEchoes,
];

/// The keys of an item event's value that are its context.
const CONTEXT: [&str; 3] = ["messaging_product", "metadata", "contacts"];

/// An object's members as the general parse reads them: the last of duplicate keys wins.
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'a> Members<'a> {
    fn of(value: &'a RawValue) -> Option<Self> {
        object_pairs(value).map(Self)
    }

    fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

/// The bytes of each event of one body, found by site. Sites come in body order, so the last
/// entry and element looked at are kept, with the lists already split.
#[doc(hidden)]
#[allow(missing_debug_implementations)] // borrowed slices of a body being cut; nothing to show
pub struct RawCut<'a> {
    entries: Vec<&'a RawValue>,
    entry: Option<CachedEntry<'a>>,
    element: Option<CachedElement<'a>>,
}

/// The entry last looked at, with its lists' objects once read.
struct CachedEntry<'a> {
    at: usize,
    raw: Members<'a>,
    lists: [Option<Vec<&'a RawValue>>; 4],
}

/// The change last looked at: its field, its value's pairs, and its item lists once split.
struct CachedElement<'a> {
    at: (usize, EntryList, usize),
    field: Option<&'a RawValue>,
    value: Members<'a>,
    items: Vec<(ItemList, Vec<&'a RawValue>)>,
    siblings: Option<usize>,
}

impl<'a> CachedElement<'a> {
    fn find(&self, key: &str) -> Option<&'a RawValue> {
        self.value.get(key)
    }
}

impl<'a> RawCut<'a> {
    /// `None` when `body` is not a JSON object with an `entry` array.
    #[doc(hidden)]
    pub fn new(body: &'a [u8]) -> Option<Self> {
        let root = Members::of(serde_json::from_slice::<&'a RawValue>(body).ok()?)?;
        let entries = elements(root.get("entry")).into_iter().filter(|e| is_object(e)).collect();
        Some(Self { entries, entry: None, element: None })
    }

    /// The event at `site`, with its surroundings; `None` when the body has no such place.
    #[doc(hidden)]
    pub fn event(&mut self, site: EventSite) -> Option<RawEvent<'a>> {
        if self.entry.as_ref().is_none_or(|cached| cached.at != site.entry) {
            let raw = self.entries.get(site.entry)?;
            let raw = Members::of(raw)?;
            self.entry = Some(CachedEntry { at: site.entry, raw, lists: [None, None, None, None] });
            self.element = None;
        }
        let CachedEntry { raw: entry, lists, .. } = self.entry.as_mut()?;
        let slot = match site.list {
            EntryList::Changes => 0,
            EntryList::Messaging => 1,
            EntryList::Standby => 2,
            EntryList::Calls => 3,
        };
        let raw_list = entry.get(site.list.key());
        let objects = lists[slot]
            .get_or_insert_with(|| elements(raw_list).into_iter().filter(|e| is_object(e)).collect());
        let element = *objects.get(site.index)?;
        let (entry_id, entry_time) = (entry.get("id"), entry.get("time"));
        let Some((list, position)) = site.item else {
            let field = match site.list {
                EntryList::Changes => Members::of(element)?.get("field"),
                _ => None,
            };
            let context = CONTEXT.map(|name| (name, None));
            let list = Some(site.list.key());
            return Some(RawEvent {
                entry_id,
                entry_time,
                field,
                list,
                context,
                siblings: 1,
                event: element,
            });
        };
        let at = (site.entry, site.list, site.index);
        if self.element.as_ref().is_none_or(|cached| cached.at != at) {
            let change = Members::of(element)?;
            let value = match change.get("value") {
                Some(value) => Members::of(value)?,
                None => Members(Vec::new()),
            };
            self.element = Some(CachedElement {
                at,
                field: change.get("field"),
                value,
                items: Vec::new(),
                siblings: None,
            });
        }
        let cached = self.element.as_mut()?;
        let context = CONTEXT.map(|name| (name, cached.find(name)));
        let field = cached.field;
        let index = cached.items.iter().position(|(l, _)| *l == list).unwrap_or_else(|| {
            let items = elements(cached.find(list.key()));
            cached.items.push((list, items));
            cached.items.len() - 1
        });
        let event = *cached.items[index].1.get(position)?;
        let siblings = *cached.siblings.get_or_insert_with(|| {
            ITEM_LISTS.iter().map(|list| elements(cached.value.get(list.key())).len()).sum()
        });
        Some(RawEvent { entry_id, entry_time, field, list: Some(list.key()), context, siblings, event })
    }
}

/// The key/value pairs of a JSON object, values borrowed from the body.
fn object_pairs(value: &RawValue) -> Option<Vec<(Cow<'_, str>, &RawValue)>> {
    struct Pairs;
    impl<'de> serde::de::Visitor<'de> for Pairs {
        type Value = Vec<(Cow<'de, str>, &'de RawValue)>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                out.push((key, map.next_value()?));
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(value.get());
    serde::Deserializer::deserialize_map(&mut de, Pairs).ok()
}

/// An object key, borrowed from the body unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The elements of a JSON array (none for anything else), each borrowed from the body.
#[doc(hidden)]
pub fn elements(value: Option<&RawValue>) -> Vec<&RawValue> {
    value.and_then(|v| serde_json::from_str::<Vec<&RawValue>>(v.get()).ok()).unwrap_or_default()
}

fn is_object(value: &RawValue) -> bool {
    value.get().starts_with('{')
}
