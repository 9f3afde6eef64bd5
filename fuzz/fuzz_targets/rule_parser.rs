//! Parses arbitrary text as a distribution-policy rule and, when it parses,
//! evaluates it against a fixed app and deployment. Any panic is a bug.

#![no_main]

use libfuzzer_sys::fuzz_target;
use qops::policy;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(rule) = policy::parse(&text) {
        let app = json!({
            "id": "0b1c2d3e-0000-4000-8000-000000000001",
            "name": "Sales Dashboard",
            "published": true,
            "stream": {"id": "5a000000-0000-4000-8000-000000000001", "name": "Sales"},
            "owner": {"name": "Ann Admin", "userId": "ann", "userDirectory": "CORP"},
            "customProperties": [
                {"definition": {"name": "SendTo"}, "value": "Region1"},
                {"definition": {"name": "SendTo"}, "value": "Region2"},
                {"definition": {"name": "Pattern"}, "value": "(["},
                {"value": "orphan"}
            ]
        });
        let deployment = json!({"id": "d1", "name": "Region1"});
        let _ = policy::matches(&rule, &app, &deployment);
        let _ = policy::evaluate(&rule, &json!({}), &json!(null));
        let _ = rule.source();
    }
});
