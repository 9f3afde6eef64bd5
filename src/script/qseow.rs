//! `qseow(url, auth)`: a QSEoW site handle for multi-cloud deployments and distribution policies.

use super::convert::{lift, to_dynamic, to_json};
use super::handles::{ApiCalls, TenantHandle};
use super::native::{fail, native, Fallible};
use crate::qseow::drift::{self, TenantApps};
use crate::qseow::{self, NewDeployment, Site, SiteAuth, SiteOptions};
use crate::secret::Secret;
use crate::session::Session;
use rhai::{Array, Dynamic, Engine, Map};
use serde_json::Value;
use std::sync::Arc;

/// A QSEoW site and the identity used there.
#[derive(Clone)]
pub struct SiteHandle {
    pub site: Site,
    session: Arc<Session>,
}

impl ApiCalls for SiteHandle {
    fn session(&self) -> &Session {
        &self.session
    }
}

/// `#{cert, key, root}` (port 4242), `#{header}` or `#{jwt}` (virtual proxy), plus
/// `user_directory` and `user_id`; `#{}` trusts the site as the simulator does.
fn options(session: &Session, auth: &Map) -> Fallible<SiteOptions> {
    const KEYS: [&str; 7] = [
        "cert",
        "key",
        "root",
        "header",
        "jwt",
        "user_directory",
        "user_id",
    ];
    if let Some(k) = auth.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return fail(format!(
            "unknown QSEoW auth key {k:?}: use one of {}",
            KEYS.join(", ")
        ));
    }
    let text = |k: &str| auth.get(k).filter(|v| !v.is_unit()).map(|v| v.to_string());
    let read = |path: String| session.file_roots.read(&path).or_else(fail);
    let site_auth = match (text("cert"), text("key"), text("header"), text("jwt")) {
        (Some(cert), Some(key), None, None) => {
            let key = session.file_roots.read_text(&key).or_else(fail)?;
            Some(SiteAuth::Certificate {
                cert_pem: read(cert)?,
                key_pem: Secret::new(key),
            })
        }
        (None, None, Some(name), None) => Some(SiteAuth::Header { name }),
        (None, None, None, Some(jwt)) => Some(SiteAuth::Jwt(Secret::new(jwt))),
        (None, None, None, None) => None,
        _ => return fail("QSEoW auth takes cert + key, or header, or jwt"),
    };
    let root_ca_pem = match text("root") {
        Some(path) => Some(read(path)?),
        None => None,
    };
    Ok(SiteOptions {
        auth: site_auth,
        user_directory: text("user_directory"),
        user_id: text("user_id"),
        root_ca_pem,
    })
}

fn strings(values: &Array) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn deployment_request(map: &Map) -> Fallible<NewDeployment> {
    let text = |k: &str| map.get(k).filter(|v| !v.is_unit()).map(|v| v.to_string());
    let Some(name) = text("name") else {
        return fail("a deployment needs a name");
    };
    let Some(service_url) = text("api_endpoint").or_else(|| text("serviceUrl")) else {
        return fail("a deployment needs api_endpoint: the tenant URL, https://<tenant>.<region>.qlikcloud.com");
    };
    let local = map
        .get("local_bearer_token")
        .map(|v| v.as_bool().unwrap_or(true))
        .unwrap_or(true);
    let client =
        match (
            text("client_id"),
            text("client_secret"),
            text("token_endpoint"),
        ) {
            (Some(id), Some(secret), Some(endpoint)) if !local => {
                Some((id, Secret::new(secret), endpoint))
            }
            (None, None, None) if local => None,
            _ if local => {
                return fail(
                    "local_bearer_token: true takes no client_id, client_secret or token_endpoint",
                )
            }
            _ => return fail(
                "without a local bearer token, give client_id, client_secret and token_endpoint",
            ),
        };
    Ok(NewDeployment {
        name,
        service_url,
        audience: text("audience").unwrap_or_else(|| "qlik.api".into()),
        client,
    })
}

fn id_of(entity: &Value) -> String {
    entity
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The preview with a status per target; `tenants: None` checks no copies.
fn preview_with_status(h: &SiteHandle, tenants: Option<&[TenantHandle]>) -> Fallible<Dynamic> {
    let (policies, apps, deployments, held) = h.call(async {
        let mut held = Vec::new();
        for t in tenants.unwrap_or_default() {
            let apps = t
                .api
                .items(&[("resourceType".to_string(), "app".to_string())])
                .await?;
            held.push(TenantApps {
                host: t.api.host().to_ascii_lowercase(),
                apps,
            });
        }
        Ok((
            h.site.policies().await?,
            h.site.apps(None).await?,
            h.site.deployments().await?,
            held,
        ))
    })?;
    let parsed = super::policy::parse_policies(&Value::Array(policies))?;
    let preview = crate::policy::preview(&parsed, &apps, &deployments);
    let tenants = tenants.map(|_| held.as_slice());
    Ok(to_dynamic(drift::status(
        &preview,
        &apps,
        &deployments,
        tenants,
    )))
}

pub fn register(engine: &mut Engine, session: &Arc<Session>) {
    engine.register_type_with_name::<SiteHandle>("site");
    let s = session.clone();
    native!(engine, "qseow", ["url: &str", "auth: Map", "Site"],
        "A Qlik Sense Enterprise on Windows site, e.g. `qseow(env(\"QLIK_QSEOW\"), #{cert: \"client.pem\",
        key: \"client_key.pem\", root: \"root.pem\"})` on port 4242, or through a virtual proxy with
        `#{header: \"hdr-usr\", user_id: \"admin\"}` or `#{jwt: token}`.",
        move |url: &str, auth: Map| -> Fallible<SiteHandle> {
            let opts = options(&s, &auth)?;
            let client = lift(s.client())?;
            Ok(SiteHandle { site: lift(Site::connect(client, url, opts))?, session: s.clone() })
        });
    native!(
        engine,
        "to_string",
        ["site: &mut Site", "String"],
        "`site qseow.example.com`.",
        |h: &mut SiteHandle| format!("site {}", h.site.host())
    );
    native!(
        engine,
        "to_debug",
        ["site: &mut Site", "String"],
        "`site qseow.example.com`.",
        |h: &mut SiteHandle| format!("site {}", h.site.host())
    );
    native!(
        engine,
        "get$host",
        ["site: &mut Site", "String"],
        "The site's host.",
        |h: &mut SiteHandle| h.site.host().to_string()
    );

    native!(
        engine,
        "about",
        ["site: &mut Site", "Map"],
        "`/qrs/about`: the connectivity probe.",
        |h: &mut SiteHandle| h.value(h.site.about())
    );
    native!(
        engine,
        "apps",
        ["site: &mut Site", "Array"],
        "Every app, with stream, owner and custom properties.",
        |h: &mut SiteHandle| h.values(h.site.apps(None))
    );
    native!(
        engine,
        "apps",
        ["site: &mut Site", "filter: &str", "Array"],
        "Apps matching a QRS filter, e.g. `published eq true` or `stream.name eq 'Sales'`.",
        |h: &mut SiteHandle, filter: &str| h.values(h.site.apps(Some(filter)))
    );
    native!(
        engine,
        "streams",
        ["site: &mut Site", "Array"],
        "Every stream.",
        |h: &mut SiteHandle| h.values(h.site.streams())
    );
    native!(
        engine,
        "custom_properties",
        ["site: &mut Site", "Array"],
        "Every custom property definition.",
        |h: &mut SiteHandle| h.values(h.site.custom_properties())
    );
    native!(
        engine,
        "set_app_property",
        [
            "site: &mut Site",
            "app: &str",
            "name: &str",
            "values: Array",
            "Map"
        ],
        "Sets the values of one custom property on an app (id or name), keeping the others; a
        change made meanwhile is a `conflict` error: read again and retry.",
        |h: &mut SiteHandle, app: &str, name: &str, values: Array| {
            let values = strings(&values);
            h.value(async {
                let app = h.site.find_app(app).await?;
                let id = app
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                h.site.set_app_property(&id, name, &values).await
            })
        }
    );
    native!(engine, "publish_app", ["site: &mut Site", "app: &str", "stream: &str", "Map"],
        "Publishes an app (id or name) to a stream (id or name); distribution policies then send it to
        the deployments they match.",
        |h: &mut SiteHandle, app: &str, stream: &str| {
            h.value(async {
                let app = h.site.find_app(app).await?;
                let stream = h.site.find_stream(stream).await?;
                let id = |v: &Value| v.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
                h.site.publish_app(&id(&app), &id(&stream)).await
            })
        });

    native!(
        engine,
        "deployments",
        ["site: &mut Site", "Array"],
        "Every multi-cloud deployment.",
        |h: &mut SiteHandle| h.values(h.site.deployments())
    );
    native!(
        engine,
        "deployment",
        ["site: &mut Site", "name: &str", "Dynamic"],
        "The deployment with this name, or `()`.",
        |h: &mut SiteHandle, name: &str| -> Fallible<Dynamic> {
            Ok(h.call(h.site.deployment(name))?
                .map(to_dynamic)
                .unwrap_or(Dynamic::UNIT))
        }
    );
    native!(engine, "create_deployment", ["site: &mut Site", "deployment: Map", "Map"],
        "Creates a deployment: `#{name, api_endpoint: tenant URL, audience: \"qlik.api\",
        local_bearer_token: true}`, or with `local_bearer_token: false` and `client_id`, `client_secret`,
        `token_endpoint`.",
        |h: &mut SiteHandle, d: Map| {
            let new = deployment_request(&d)?;
            h.value(h.site.create_deployment(&new))
        });
    native!(
        engine,
        "update_deployment",
        ["site: &mut Site", "name: &str", "changes: Map", "Map"],
        "Changes a deployment: `#{name, api_endpoint, audience}`.",
        |h: &mut SiteHandle, name: &str, changes: Map| {
            let mut fields = Vec::new();
            for (k, v) in changes {
                let wire = match k.as_str() {
                    "name" => "name",
                    "api_endpoint" | "serviceUrl" => "serviceUrl",
                    "audience" => "audience",
                    other => {
                        return fail(format!(
                        "cannot change {other:?} of a deployment: use name, api_endpoint, audience"
                    ))
                    }
                };
                fields.push((wire, Value::String(v.to_string())));
            }
            h.value(async {
                let id = h.site.deployment_id(name).await?;
                let mut current = h.site.deployment(name).await?.unwrap_or_default();
                for (k, v) in fields {
                    current[k] = v;
                }
                h.site.update_deployment(&id, &current).await
            })
        }
    );
    native!(engine, "deployment_token", ["site: &mut Site", "name: &str", "String"],
        "The deployment's local bearer token in Qlik Cloud format, for the tenant's Multi-cloud IdP.",
        |h: &mut SiteHandle, name: &str| h.call(async { h.site.deployment_token(&h.site.deployment_id(name).await?).await }));
    native!(
        engine,
        "test_deployment",
        ["site: &mut Site", "name: &str", "Map"],
        "Test connection: `#{success, message}` (the message says why it failed).",
        |h: &mut SiteHandle, name: &str| h.value(async {
            h.site
                .test_deployment(&h.site.deployment_id(name).await?)
                .await
        })
    );
    native!(
        engine,
        "delete_deployment",
        ["site: &mut Site", "name: &str", "()"],
        "Deletes a deployment by name.",
        |h: &mut SiteHandle, name: &str| h.call(async {
            h.site
                .delete_deployment(&h.site.deployment_id(name).await?)
                .await
        })
    );

    native!(
        engine,
        "policies",
        ["site: &mut Site", "Array"],
        "Every distribution policy (system rules over `App_*` with the Distribute action).",
        |h: &mut SiteHandle| h.values(h.site.policies())
    );
    native!(engine, "create_policy", ["site: &mut Site", "policy: Map", "Map"],
        "Creates a distribution policy `#{name, condition, description, disabled, tags}`; the condition
        is checked first and an invalid one is refused with its position.",
        |h: &mut SiteHandle, p: Map| {
            let text = |k: &str| p.get(k).filter(|v| !v.is_unit()).map(|v| v.to_string());
            let Some(name) = text("name") else { return fail("a policy needs a name") };
            let condition = text("condition");
            if let Some(c) = &condition {
                super::policy::parse(c)?;
            }
            let tags = match p.get("tags") {
                Some(t) if t.is_array() => to_json(t)?.as_array().cloned().unwrap_or_default(),
                _ => Vec::new(),
            };
            let disabled = p.get("disabled").and_then(|d| d.as_bool().ok()).unwrap_or(false);
            let body = qseow::new_policy(&name, condition.as_deref(), text("description").as_deref(), disabled, tags);
            h.value(h.site.create_policy(&body))
        });
    native!(
        engine,
        "update_policy",
        ["site: &mut Site", "policy: &str", "changes: Map", "Map"],
        "Changes a policy (id or name): `#{name, condition, description, disabled, tags}`.",
        |h: &mut SiteHandle, policy: &str, changes: Map| {
            let mut fields = Vec::new();
            for (k, v) in changes {
                let wire = match k.as_str() {
                    "name" => "name",
                    "condition" => {
                        super::policy::parse(&v.to_string())?;
                        "rule"
                    }
                    "description" => "comment",
                    "disabled" => "disabled",
                    "tags" => "tags",
                    other => return fail(format!("a policy has no field {other:?}: use name, condition, description, disabled, tags")),
                };
                fields.push((wire, to_json(&v)?));
            }
            h.value(async {
                let mut current = h.site.policy(policy).await?;
                for (k, v) in fields {
                    current[k] = v;
                }
                h.site.update_policy(&current).await
            })
        }
    );
    native!(
        engine,
        "preview_distribution",
        ["site: &mut Site", "Array"],
        "Where each app goes: every enabled policy over the site's apps and deployments; per app
        `#{app_id, app_name, published, stream, targets: [#{deployment_id, deployment_name,
        policies, status, tenant}]}` (unpublished apps go nowhere). Without the tenants, no copy
        can be checked: every target's `status` is `\"unverified\"`; pass them to tell `present`,
        `pending` and `unexpected` apart.",
        |h: &mut SiteHandle| -> Fallible<Dynamic> { preview_with_status(h, None) }
    );
    native!(
        engine,
        "preview_distribution",
        ["site: &mut Site", "tenants: Array", "Array"],
        "Where each app goes, checked against the copies the deployments' tenants hold (tenant
        handles, matched to deployments by the host of their API endpoint). Per target `status`:
        `present` (a current copy is on the tenant), `pending` (a policy sends it there but the
        copy only moves on the app's next trigger: publish, reload, change, move), `unexpected`
        (a copy no policy sends there any more; a target with no `policies`), or `unverified`
        (that deployment's tenant was not given).",
        |h: &mut SiteHandle, tenants: Array| -> Fallible<Dynamic> {
            let mut handles = Vec::new();
            for t in tenants {
                let kind = t.type_name().to_string();
                match t.try_cast::<TenantHandle>() {
                    Some(t) => handles.push(t),
                    None => {
                        return fail(format!(
                            "preview_distribution takes tenant handles, got {kind}"
                        ))
                    }
                }
            }
            preview_with_status(h, Some(&handles))
        }
    );
    native!(
        engine,
        "reload_app",
        ["site: &mut Site", "app: &str", "Map"],
        "Reloads an app (id or name) with `POST /qrs/app/{id}/reload`; a published app is then
        distributed again (a reload is a distribution trigger). Returns the app after.",
        |h: &mut SiteHandle, app: &str| h.value(async {
            let id = id_of(&h.site.find_app(app).await?);
            h.site.reload_app(&id).await
        })
    );
    native!(
        engine,
        "update_app",
        ["site: &mut Site", "app: &str", "changes: Map", "Map"],
        "Changes an app (id or name): `#{name, description, owner: #{id}}` and other QRS app
        fields, written back with the `modifiedDate` read (a change made meanwhile is a
        `conflict`). A change of a published app re-evaluates where it is distributed; `#{}` is a
        plain re-save, the lightest such trigger.",
        |h: &mut SiteHandle, app: &str, changes: Map| {
            let changes = to_json(&Dynamic::from_map(changes))?;
            h.value(async {
                let id = id_of(&h.site.find_app(app).await?);
                h.site.update_app(&id, &changes).await
            })
        }
    );
    native!(
        engine,
        "move_app",
        ["site: &mut Site", "app: &str", "stream: &str", "Map"],
        "Moves a published app (id or name) to another stream (id or name); the move re-evaluates
        where it is distributed.",
        |h: &mut SiteHandle, app: &str, stream: &str| h.value(async {
            let app = id_of(&h.site.find_app(app).await?);
            let stream = id_of(&h.site.find_stream(stream).await?);
            h.site.move_app(&app, &stream).await
        })
    );
    native!(
        engine,
        "delete_app",
        ["site: &mut Site", "app: &str", "()"],
        "Deletes an app (id or name); the site withdraws its cloud copies.",
        |h: &mut SiteHandle, app: &str| h.call(async {
            let id = id_of(&h.site.find_app(app).await?);
            h.site.delete_app(&id).await
        })
    );
    let s = session.clone();
    native!(
        engine,
        "get$dry_run",
        ["site: &mut Site", "bool"],
        "Whether this run only plans its writes (`--dry-run`): they are listed, not sent.",
        move |_h: &mut SiteHandle| s.client_options.dry_run
    );
    native!(
        engine,
        "delete_policy",
        ["site: &mut Site", "policy: &str", "()"],
        "Deletes a policy (id or name).",
        |h: &mut SiteHandle, policy: &str| {
            h.call(async {
                let p = h.site.policy(policy).await?;
                h.site
                    .delete_policy(p.get("id").and_then(Value::as_str).unwrap_or_default())
                    .await
            })
        }
    );
}
