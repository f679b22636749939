//! Reading a big plan on several threads at once: while the main thread
//! scans the document, each resource change it finds is sent (in batches)
//! to workers that read it into the model and hash it. Only well-formed
//! documents take this path; any error sends the caller to the slower,
//! section-by-section reader, which names the cause precisely.

use super::digest::ResourceHash;
use super::{PlanError, ResourceChange, wire};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Resource changes per message to a worker.
const BATCH: usize = 256;
const WORKERS: usize = 2;

type Batch<'t> = Vec<(usize, &'t RawValue)>;
pub(super) type ReadChange = Result<(ResourceChange, ResourceHash), PlanError>;
/// What the pipeline read: the other sections, and every resource change.
pub(super) type Read<'t> = (
    wire::Sections<'t>,
    Result<Vec<(ResourceChange, ResourceHash)>, PlanError>,
);

/// Scans `text` and reads its resource changes with `read` on worker
/// threads. `None` when the document is not well-formed (use the slow path).
pub(super) fn read<'t>(
    text: &'t str,
    read: &(dyn Fn(&'t RawValue) -> ReadChange + Sync),
) -> Option<Read<'t>> {
    let (tx, rx) = sync_channel::<Batch<'t>>(WORKERS * 2);
    let rx = Mutex::new(rx);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| scope.spawn(|| work(&rx, read)))
            .collect();
        let scanned = scan(text, tx);
        let mut results: Vec<(usize, ReadChange)> = Vec::new();
        for worker in workers {
            results.extend(worker.join().ok()?);
        }
        let sections = scanned?;
        results.sort_by_key(|(i, _)| *i);
        let changes = results
            .into_iter()
            .map(|(_, r)| r)
            .collect::<Result<Vec<_>, _>>();
        Some((sections, changes))
    })
}

fn work<'t>(
    rx: &Mutex<Receiver<Batch<'t>>>,
    read: &(dyn Fn(&'t RawValue) -> ReadChange + Sync),
) -> Vec<(usize, ReadChange)> {
    let mut done = Vec::new();
    loop {
        let batch = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return done,
        };
        let Ok(batch) = batch else { return done };
        done.extend(batch.into_iter().map(|(i, raw)| (i, read(raw))));
    }
}

/// The top level, with `resource_changes` streamed to the workers. The
/// sender is dropped when scanning ends, which lets the workers finish.
fn scan<'t>(text: &'t str, tx: SyncSender<Batch<'t>>) -> Option<wire::Sections<'t>> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let sections = (&mut deserializer).deserialize_map(TopLevel { tx }).ok()?;
    deserializer.end().ok()?;
    Some(sections)
}

struct TopLevel<'t> {
    tx: SyncSender<Batch<'t>>,
}

impl<'t> Visitor<'t> for TopLevel<'t> {
    type Value = wire::Sections<'t>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a plan object")
    }

    fn visit_map<A: MapAccess<'t>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut s = wire::Sections::default();
        let mut changes_seen = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'t, str>>()? {
            match key.as_ref() {
                "resource_changes" => {
                    changes_seen = map.next_value_seed(Changes { tx: &self.tx })?;
                }
                "format_version" => s.format_version = map.next_value()?,
                "terraform_version" => s.terraform_version = map.next_value()?,
                "output_changes" => s.output_changes = map.next_value()?,
                "resource_drift" => s.resource_drift = map.next_value()?,
                "relevant_attributes" => s.relevant_attributes = map.next_value()?,
                "checks" => s.checks = map.next_value()?,
                "condition_results" => s.condition_results = map.next_value()?,
                "deferred_changes" => s.deferred_changes = map.next_value()?,
                "action_invocations" => s.action_invocations = map.next_value()?,
                "planned_values" => s.planned_values = map.next_value()?,
                "configuration" => s.configuration = map.next_value()?,
                "prior_state" => s.prior_state = map.next_value()?,
                "values" => s.values = map.next_value()?,
                "errored" => s.errored = map.next_value()?,
                "complete" => s.complete = map.next_value()?,
                "applyable" => s.applyable = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // Present (even empty): the plan has a resource_changes section.
        s.resource_changes = changes_seen.then(Vec::new);
        Ok(s)
    }
}

/// `resource_changes`: null, or an array whose elements go to the workers.
/// Its value says whether the array was there.
struct Changes<'a, 't> {
    tx: &'a SyncSender<Batch<'t>>,
}

impl<'t> DeserializeSeed<'t> for Changes<'_, 't> {
    type Value = bool;

    fn deserialize<D: Deserializer<'t>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'t> Visitor<'t> for Changes<'_, 't> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of resource changes or null")
    }

    fn visit_none<E>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_some<D: Deserializer<'t>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'t>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut batch = Vec::with_capacity(BATCH);
        let mut index = 0;
        while let Some(raw) = seq.next_element::<&'t RawValue>()? {
            batch.push((index, raw));
            index += 1;
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                if self.tx.send(full).is_err() {
                    return Err(serde::de::Error::custom("a reading thread stopped"));
                }
            }
        }
        if !batch.is_empty() && self.tx.send(batch).is_err() {
            return Err(serde::de::Error::custom("a reading thread stopped"));
        }
        Ok(true)
    }
}
