//! "Who knows what": the members' `expertise`, folded into topics. Two
//! spellings that differ only in case (`Data quality`, `data quality`) are
//! one topic, shown as first written (members in site order). Each topic
//! has an anchor on `/topics/`, made like a heading's.

use crate::markdown::{IdGen, github_id};
use crate::model::Member;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct Topic {
    /// As first written.
    pub name: String,
    /// Anchor on `/topics/`.
    pub id: String,
    /// Member indices, in site order.
    pub members: Vec<usize>,
}

/// Topics sorted by name (case-insensitively), and per member the indices
/// of its topics in the order the member lists them.
pub fn collect(members: &[Member]) -> (Vec<Topic>, Vec<Vec<usize>>) {
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut topics: Vec<Topic> = Vec::new();
    let mut member_topics = vec![Vec::new(); members.len()];
    for (mi, m) in members.iter().enumerate() {
        for e in &m.expertise {
            let name = e.split_whitespace().collect::<Vec<_>>().join(" ");
            if name.is_empty() {
                continue;
            }
            let key = name.to_lowercase();
            let ti = *by_key.entry(key).or_insert_with(|| {
                topics.push(Topic {
                    name,
                    id: String::new(),
                    members: Vec::new(),
                });
                topics.len() - 1
            });
            if !topics[ti].members.contains(&mi) {
                topics[ti].members.push(mi);
                member_topics[mi].push(ti);
            }
        }
    }
    // Sort, then renumber the members' references.
    let mut order: Vec<usize> = (0..topics.len()).collect();
    order.sort_by(|&a, &b| {
        topics[a]
            .name
            .to_lowercase()
            .cmp(&topics[b].name.to_lowercase())
            .then_with(|| topics[a].name.cmp(&topics[b].name))
    });
    let mut new_index = vec![0; topics.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let mut slots: Vec<Option<Topic>> = topics.into_iter().map(Some).collect();
    let mut sorted: Vec<Topic> = order
        .iter()
        .map(|&old| slots[old].take().expect("each topic once"))
        .collect();
    let mut ids = IdGen::default();
    // Ids the page's layout uses.
    ids.unique("main".to_owned());
    for t in &mut sorted {
        let base = github_id(&t.name);
        t.id = ids.unique(if base.is_empty() {
            "topic".to_owned()
        } else {
            base
        });
    }
    for v in &mut member_topics {
        for t in v.iter_mut() {
            *t = new_index[*t];
        }
    }
    (sorted, member_topics)
}
