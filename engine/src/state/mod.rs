//! The state: what meshform has made, recorded in `meshform.tfstate`, its journal and lock.

use std::collections::BTreeMap;

use crate::addrs::{AbsResource, ResourceInstanceAddr};
use crate::eval::Value;

#[derive(Clone, Debug, PartialEq)]
pub struct OutputState {
    pub value: Value,
    pub sensitive: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ResourceInstanceState {
    pub provider: String,
    pub value: Value,
    pub dependencies: Vec<AbsResource>,
    pub create_before_destroy: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub lineage: String,
    pub serial: u64,
    pub outputs: BTreeMap<String, OutputState>,
    pub resources: BTreeMap<ResourceInstanceAddr, ResourceInstanceState>,
}

impl State {
    pub fn new() -> State {
        State {
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            outputs: BTreeMap::new(),
            resources: BTreeMap::new(),
        }
    }
}

impl Default for State {
    fn default() -> State {
        State::new()
    }
}
