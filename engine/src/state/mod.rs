//! The state: what meshform has made, recorded in `meshform.tfstate`, its journal and lock.
