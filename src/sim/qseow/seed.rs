//! The site's start: users (`CORP\alice` admin, `CORP\bob` and `CORP\carol` not,
//! `INTERNAL\sa_repository` and `INTERNAL\sa_api` admins), streams `Everyone`, `Sales`,
//! `Finance`, custom property definitions `SendTo` and `Department`, four apps and one disabled
//! example distribution policy. No deployments.

use super::{common, Site, SiteUser};
use crate::sim::apps::uuid;
use crate::sim::clock::{iso, SimMs};
use crate::sim::ids::Ids;
use crate::wire;
use serde_json::{json, Value};

const USERS: &[(&str, &str, &str, bool)] = &[
    ("INTERNAL", "sa_repository", "sa_repository", true),
    ("INTERNAL", "sa_api", "sa_api", true),
    ("CORP", "alice", "Alice Admin", true),
    ("CORP", "bob", "Bob Builder", false),
    ("CORP", "carol", "Carol Consumer", false),
];

pub fn seed(ids: &mut Ids, now: SimMs) -> Site {
    let by = format!(
        "{}\\{}",
        wire::QSEOW_DEFAULT_USER_DIRECTORY,
        wire::QSEOW_DEFAULT_USER_ID
    );
    let at = now - 30 * 86_400_000;
    let mut site = Site {
        about: json!({
            "buildVersion": wire::QSEOW_ABOUT_BUILD_VERSION,
            "buildDate": wire::QSEOW_ABOUT_BUILD_DATE,
            "databaseProvider": wire::QSEOW_ABOUT_DATABASE_PROVIDER,
            "nodeType": 1,
            "sharedPersistence": true,
            "requiresBootstrap": false,
            "singleNodeOnly": false,
            "schemaPath": "About",
        }),
        ..Site::default()
    };
    for (dir, uid, name, admin) in USERS {
        site.users.push(SiteUser {
            id: uuid(ids),
            directory: dir.to_string(),
            user_id: uid.to_string(),
            name: name.to_string(),
            admin: *admin,
        });
    }
    for name in ["Everyone", "Sales", "Finance"] {
        let mut s = common(&uuid(ids), at, &by, "Stream");
        s["name"] = json!(name);
        s["owner"] = site.users[0].condensed();
        s["tags"] = json!([]);
        s["customProperties"] = json!([]);
        site.streams.push(s);
    }
    let defs: [(&str, &[&str], &str); 2] = [
        (
            "SendTo",
            &[],
            "Deployments (by name) an app is distributed to",
        ),
        (
            "Department",
            &["Sales", "Finance", "HR"],
            "Owning department",
        ),
    ];
    for (name, choices, description) in defs {
        let mut d = common(&uuid(ids), at, &by, "CustomPropertyDefinition");
        d["name"] = json!(name);
        d["valueType"] = json!("Text");
        d["choiceValues"] = json!(choices);
        d["objectTypes"] = json!(["App"]);
        d["description"] = json!(description);
        site.cpds.push(d);
    }
    let user = |site: &Site, uid: &str| -> Value {
        site.users
            .iter()
            .find(|u| u.user_id == uid)
            .map(SiteUser::condensed)
            .unwrap_or(Value::Null)
    };
    let stream = |site: &Site, name: &str| -> Value {
        site.streams
            .iter()
            .find(|s| s["name"] == name)
            .map(|s| json!({"id": s["id"], "name": s["name"], "privileges": null}))
            .unwrap_or(Value::Null)
    };
    let apps: [(&str, Option<&str>, &str, Option<&str>); 4] = [
        ("Sales Dashboard", Some("Sales"), "alice", Some("Sales")),
        (
            "Finance Report",
            Some("Finance"),
            "sa_repository",
            Some("Finance"),
        ),
        ("Draft Analysis", None, "bob", None),
        (
            "Operations Monitor",
            Some("Everyone"),
            "sa_repository",
            None,
        ),
    ];
    for (i, (name, stream_name, owner, dept)) in apps.into_iter().enumerate() {
        let id = uuid(ids);
        let created = at + i as SimMs * 3_600_000;
        let mut a = common(&id, created, &by, "App");
        a["name"] = json!(name);
        a["appId"] = json!("");
        a["description"] = json!(format!("{name} (seeded)"));
        a["published"] = json!(stream_name.is_some());
        a["publishTime"] = json!(if stream_name.is_some() {
            iso(created + 60_000)
        } else {
            wire::QSEOW_NEVER_PUBLISHED.to_string()
        });
        a["stream"] = stream_name.map(|s| stream(&site, s)).unwrap_or(Value::Null);
        a["owner"] = user(&site, owner);
        a["customProperties"] = json!([]);
        if let (Some(dept), Some(def)) =
            (dept, site.cpds.iter().find(|d| d["name"] == "Department"))
        {
            let mut v = common(&uuid(ids), created, &by, "CustomPropertyValue");
            v["value"] = json!(dept);
            v["definition"] = json!({"id": def["id"], "name": "Department", "valueType": "Text",
                                     "choiceValues": def["choiceValues"], "privileges": null});
            a["customProperties"] = json!([v]);
        }
        a["tags"] = json!([]);
        a["fileSize"] = json!(131_072 * (i as u64 + 1));
        a["lastReloadTime"] = json!(iso(created + 30_000));
        site.apps.push(a);
    }
    let mut rule = common(&uuid(ids), at, &by, "SystemRule");
    for (k, v) in [
        ("category", json!(wire::QSEOW_SYSTEMRULE_DEFAULT_CATEGORY)),
        ("subcategory", json!("")),
        ("type", json!(wire::QSEOW_SYSTEMRULE_DEFAULT_TYPE)),
        ("name", json!("Example: distribute everything to Region1")),
        ("rule", json!("((subject.name=\"Region1\"))")),
        ("resourceFilter", json!("App_*")),
        ("actions", json!(wire::QSEOW_DISTRIBUTE_ACTION)),
        (
            "comment",
            json!("Seeded example distribution policy (disabled)"),
        ),
        ("disabled", json!(true)),
        ("ruleContext", json!(0)),
        ("seedId", json!("")),
        ("version", json!(0)),
        ("tags", json!([])),
    ] {
        rule[k] = v;
    }
    site.rules.push(rule);
    site
}
