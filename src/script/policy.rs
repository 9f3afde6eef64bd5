//! `policy::check` and `policy::matches`: the distribution-policy rule language, offline.

use super::convert::{to_dynamic, to_json};
use super::native::Fallible;
use crate::policy::{self, RuleError};
use rhai::{Dynamic, Engine, EvalAltResult, FuncRegistration, Map, Module, Position};

/// An invalid rule as a catchable error map: `#{kind: "rule", message, position, line, column}`.
pub fn rule_error(rule: &str, e: &RuleError) -> Box<EvalAltResult> {
    let mut m = Map::new();
    m.insert("kind".into(), "rule".into());
    m.insert(
        "message".into(),
        format!("invalid rule {rule:?}: {e}").into(),
    );
    m.insert("position".into(), (e.position as rhai::INT).into());
    m.insert("line".into(), (e.line as rhai::INT).into());
    m.insert("column".into(), (e.column as rhai::INT).into());
    Box::new(EvalAltResult::ErrorRuntime(m.into(), Position::NONE))
}

/// An inventory entry as the resource of a tenant rule. Values that are not data (a `tenant`
/// handle kept in the entry) are left out.
fn inventory_entry(entry: &Map) -> serde_json::Value {
    let data: serde_json::Map<String, serde_json::Value> = entry
        .iter()
        .filter_map(|(k, v)| to_json(v).ok().map(|v| (k.to_string(), v)))
        .collect();
    policy::tenant_resource(&serde_json::Value::Object(data))
}

/// A rule over tenants of an inventory ([`policy::TENANT`]).
fn parse_tenant_rule(rule: &str) -> Fallible<policy::Rule> {
    policy::parse_for(rule, &policy::TENANT).map_err(|e| rule_error(rule, &e))
}

pub fn parse(rule: &str) -> Fallible<policy::Rule> {
    policy::parse(rule).map_err(|e| rule_error(rule, &e))
}

pub fn register(engine: &mut Engine) {
    let mut module = Module::new();
    FuncRegistration::new("check")
        .with_params_info(["rule: &str", "bool"])
        .with_comments([super::native::doc(
            "Checks a distribution-policy condition; throws `#{kind: \"rule\", message, position, line, column}`
            when it is invalid, e.g. `policy::check(\"((subject.name=\\\"Region1\\\"))\")`.",
        )])
        .set_into_module(&mut module, |rule: &str| -> Fallible<bool> { parse(rule).map(|_| true) });
    FuncRegistration::new("matches")
        .with_params_info(["rule: &str", "app: Map", "deployment: Map", "bool"])
        .with_comments([super::native::doc(
            "Whether a condition sends this app (QRS app: stream, owner, customProperties) to this
            deployment (`#{name}`); unpublished apps never match.",
        )])
        .set_into_module(
            &mut module,
            |rule: &str, app: Map, deployment: Map| -> Fallible<bool> {
                let rule = parse(rule)?;
                let app = to_json(&Dynamic::from_map(app))?;
                let deployment = to_json(&Dynamic::from_map(deployment))?;
                Ok(
                    app.get("published").and_then(|p| p.as_bool()) != Some(false)
                        && policy::matches(&rule, &app, &deployment),
                )
            },
        );
    FuncRegistration::new("preview")
        .with_params_info(["policies: Array", "apps: Array", "deployments: Array", "Array"])
        .with_comments([super::native::doc(
            "Where every app goes: for each app `#{app_id, app_name, targets: [#{deployment_id,
            deployment_name, policies}]}`, from QRS system rules (`name`, `rule`, `disabled`), apps and deployments.",
        )])
        .set_into_module(&mut module, |policies: rhai::Array, apps: rhai::Array, deployments: rhai::Array| -> Fallible<Dynamic> {
            let policies = to_json(&Dynamic::from_array(policies))?;
            let apps = to_json(&Dynamic::from_array(apps))?;
            let deployments = to_json(&Dynamic::from_array(deployments))?;
            preview(&policies, &apps, &deployments)
        });
    FuncRegistration::new("selects")
        .with_params_info(["rule: &str", "tenant: Map", "bool"])
        .with_comments([super::native::doc(
            "Whether a rule selects a tenant of an inventory (`#{name, region, hostname, tags: [..],
            attributes: #{..}}`): `resource.name`, `resource.region`, `resource.hostname`,
            `resource.@tag` (any of its tags), `resource.@<attribute>`, e.g.
            ``policy::selects(`resource.region = \"eu\" and resource.@tag = \"gold\"`, t)``.",
        )])
        .set_into_module(&mut module, |rule: &str, tenant: Map| -> Fallible<bool> {
            let rule = parse_tenant_rule(rule)?;
            Ok(policy::matches(&rule, &inventory_entry(&tenant), &serde_json::Value::Null))
        });
    FuncRegistration::new("select")
        .with_params_info(["rule: &str", "tenants: Array", "Array"])
        .with_comments([super::native::doc(
            "The tenants of an inventory a rule selects (see `policy::selects`), in their order.",
        )])
        .set_into_module(
            &mut module,
            |rule: &str, tenants: rhai::Array| -> Fallible<rhai::Array> {
                let rule = parse_tenant_rule(rule)?;
                let mut chosen = rhai::Array::new();
                for t in tenants {
                    let Some(entry) = t.read_lock::<Map>().map(|m| inventory_entry(&m)) else {
                        return Err(format!(
                            "policy::select: inventory entries are maps, got {}",
                            t.type_name()
                        )
                        .into());
                    };
                    if policy::matches(&rule, &entry, &serde_json::Value::Null) {
                        chosen.push(t);
                    }
                }
                Ok(chosen)
            },
        );
    engine.register_static_module("policy", module.into());
}

/// The preview over JSON values as the site returns them.
pub fn preview(
    policies: &serde_json::Value,
    apps: &serde_json::Value,
    deployments: &serde_json::Value,
) -> Fallible<Dynamic> {
    let parsed = parse_policies(policies)?;
    let empty = Vec::new();
    let apps = apps.as_array().unwrap_or(&empty);
    let deployments = deployments.as_array().unwrap_or(&empty);
    let result = policy::preview(&parsed, apps, deployments);
    Ok(to_dynamic(serde_json::to_value(result).unwrap_or_default()))
}

/// Policies as the site returns them (SystemRules), parsed; an invalid rule is an error.
pub fn parse_policies(policies: &serde_json::Value) -> Fallible<Vec<policy::Policy>> {
    let text = |v: &serde_json::Value, k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let mut parsed = Vec::new();
    for p in policies.as_array().into_iter().flatten() {
        let rule = text(p, "rule");
        parsed.push(policy::Policy {
            id: text(p, "id"),
            name: text(p, "name"),
            rule: parse(&rule)?,
            disabled: p.get("disabled").and_then(|d| d.as_bool()).unwrap_or(false),
        });
    }
    Ok(parsed)
}
