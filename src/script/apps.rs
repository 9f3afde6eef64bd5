//! Apps on a tenant handle: list, read, export to a file or a blob, import, publish and
//! republish to managed spaces, update, delete.

use super::convert::{query_pairs, to_json};
use super::handles::{ApiCalls, TenantHandle};
use super::native::{fail, native, Fallible};
use crate::cloud::apps::ImportOptions;
use crate::cloud::http::{Download, Sink};
use crate::files::{Streaming, MAX_FILE_BYTES};
use rhai::{Blob, Dynamic, Engine, Map};
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// SHA-256 of bytes as lowercase hex.
fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A string option of a map; anything else but `()` is a usage error naming `what`.
fn text_option(options: &Map, key: &str, what: &str) -> Fallible<Option<String>> {
    match options.get(key) {
        None => Ok(None),
        Some(v) if v.is_unit() => Ok(None),
        Some(v) => match v.clone().into_string() {
            Ok(s) => Ok(Some(s)),
            Err(_) => fail(format!("{what}: `{key}` must be a string")),
        },
    }
}

/// A space given by id or by exact name: the id.
fn space_id(t: &TenantHandle, space: &str) -> Fallible<String> {
    let named = t.call(t.api.spaces(&[("name".to_string(), space.to_string())]))?;
    Ok(named
        .iter()
        .find(|s| s.get("name").and_then(Value::as_str) == Some(space))
        .and_then(|s| s.get("id").and_then(Value::as_str))
        .unwrap_or(space)
        .to_string())
}

fn import_options(t: &TenantHandle, options: &Map) -> Fallible<ImportOptions> {
    const WHAT: &str = "import_app";
    if let Some(unknown) = options
        .keys()
        .find(|k| !matches!(k.as_str(), "name" | "space" | "spaceId" | "mode"))
    {
        return fail(format!(
            "{WHAT}: unknown option `{unknown}`; options are name, space (name or id), spaceId, mode"
        ));
    }
    let space_id = match (
        text_option(options, "spaceId", WHAT)?,
        text_option(options, "space", WHAT)?,
    ) {
        (Some(id), _) => Some(id),
        (None, Some(space)) => Some(space_id(t, &space)?),
        (None, None) => None,
    };
    Ok(ImportOptions {
        name: text_option(options, "name", WHAT)?,
        space_id,
        mode: text_option(options, "mode", WHAT)?,
    })
}

fn import(t: &TenantHandle, file: Arc<Vec<u8>>, options: &Map) -> Fallible<Dynamic> {
    let options = import_options(t, options)?;
    t.value(t.api.import_app(file, &options))
}

fn read(t: &TenantHandle, path: &str) -> Fallible<Arc<Vec<u8>>> {
    match t.session().file_roots.read(path) {
        Ok(bytes) => Ok(Arc::new(bytes)),
        Err(e) => fail(format!("import_app: {e}")),
    }
}

fn publish(t: &TenantHandle, id: &str, space: &str, attributes: Map) -> Fallible<Dynamic> {
    let space = space_id(t, space)?;
    let attributes = if attributes.is_empty() {
        Value::Null
    } else {
        to_json(&Dynamic::from_map(attributes))?
    };
    t.value(t.api.publish_app(id, &space, attributes))
}

/// The file an export streams into, digesting what passes.
struct ExportFile {
    file: Streaming,
    digest: ring::digest::Context,
}

impl Sink for ExportFile {
    fn restart(&mut self) -> Result<(), String> {
        self.digest = ring::digest::Context::new(&ring::digest::SHA256);
        self.file.restart()
    }

    fn write(&mut self, chunk: &[u8]) -> Result<(), String> {
        self.digest.update(chunk);
        self.file.write(chunk)
    }
}

/// `#{path, size, sha256}` of a written export.
fn written(path: &str, size: u64, sha256: String) -> Map {
    let mut out = Map::new();
    out.insert("path".into(), path.into());
    out.insert("size".into(), (size as rhai::INT).into());
    out.insert("sha256".into(), sha256.into());
    out
}

/// Streams an export into a file under the file rules (at most [`MAX_FILE_BYTES`], what
/// `import_app` reads back). Under `--dry-run` the export is read and the write planned.
fn export_to_file(t: &TenantHandle, id: &str, path: &str) -> Fallible<Map> {
    let session = t.session();
    if session.client_options.dry_run {
        let bytes = t.call(t.api.export_app(id))?;
        super::files::write_file(session, path, &bytes)?;
        return Ok(written(path, bytes.len() as u64, sha256_hex(&bytes)));
    }
    // The path is judged, and the file started, before anything is exported.
    let file = match session.file_roots.write_streaming(path, MAX_FILE_BYTES) {
        Ok(file) => file,
        Err(e) => return fail(format!("export_app: {e}")),
    };
    let sink = Arc::new(Mutex::new(ExportFile {
        file,
        digest: ring::digest::Context::new(&ring::digest::SHA256),
    }));
    t.call(t.api.export_app_into(id, Download(sink.clone())))?;
    let Ok(done) = Arc::try_unwrap(sink).map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
    else {
        return fail("export_app: the download is still held");
    };
    let sha256: String = done
        .digest
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    match done.file.finish() {
        Ok(size) => Ok(written(path, size, sha256)),
        Err(e) => fail(format!("export_app: {e}")),
    }
}

pub fn register(engine: &mut Engine) {
    native!(
        engine,
        "apps",
        ["t: &mut Tenant", "Array"],
        "Every app of the tenant as items (Items API, `resourceType=app`, all pages): `#{id,
        name, description, resourceId (the app id), spaceId, resourceAttributes, meta: #{tags}}`.",
        |t: &mut TenantHandle| t.values(t.api.app_items(&[]))
    );
    native!(
        engine,
        "apps",
        ["t: &mut Tenant", "filter: Map", "Array"],
        "The app items matching Items API filters, e.g. `#{name: \"Sales\", spaceId: s.id}`.",
        |t: &mut TenantHandle, filter: Map| {
            let filter = query_pairs(filter);
            t.values(t.api.app_items(&filter))
        }
    );
    native!(
        engine,
        "app",
        ["t: &mut Tenant", "id: &str", "Map"],
        "One app (NxApp): `#{attributes: #{id, name, description, spaceId, originAppId,
        publishTime, modifiedDate, ...}, privileges}`.",
        |t: &mut TenantHandle, id: &str| t.value(t.api.app(id))
    );
    native!(
        engine,
        "export_app",
        ["t: &mut Tenant", "id: &str", "Blob"],
        "Exports an app (POST `/apps/{id}/export`, then the temp-contents download) into memory.",
        |t: &mut TenantHandle, id: &str| -> Fallible<Blob> { t.call(t.api.export_app(id)) }
    );
    native!(
        engine,
        "export_app",
        ["t: &mut Tenant", "id: &str", "path: &str", "Map"],
        "Exports an app to a file under the working directory (atomically, owner-only; under
        `--dry-run` planned and not written): `#{path, size, sha256}`.",
        |t: &mut TenantHandle, id: &str, path: &str| export_to_file(t, id, path)
    );
    native!(
        engine,
        "import_app",
        ["t: &mut Tenant", "file: &str", "Map"],
        "Imports an app file (a path under the working directory) as a new app in your personal space.",
        |t: &mut TenantHandle, path: &str| {
            let file = read(t, path)?;
            import(t, file, &Map::new())
        }
    );
    native!(
        engine,
        "import_app",
        ["t: &mut Tenant", "file: &str", "options: Map", "Map"],
        "Imports an app file: `#{name, space (name or id of a shared space), mode: \"NEW\"}`;
        returns the new app (NxApp).",
        |t: &mut TenantHandle, path: &str, options: Map| {
            let file = read(t, path)?;
            import(t, file, &options)
        }
    );
    native!(
        engine,
        "import_app",
        ["t: &mut Tenant", "file: Blob", "options: Map", "Map"],
        "Imports an app from bytes (e.g. from `export_app(id)`): options as for a file.",
        |t: &mut TenantHandle, file: Blob, options: Map| import(t, Arc::new(file), &options)
    );
    native!(
        engine,
        "update_app",
        ["t: &mut Tenant", "id: &str", "attributes: Map", "Map"],
        "Sets an app's `name` and/or `description` (PUT `/apps/{id}`); returns the app.",
        |t: &mut TenantHandle, id: &str, attributes: Map| {
            let attributes = to_json(&Dynamic::from_map(attributes))?;
            t.value(t.api.update_app(id, attributes))
        }
    );
    native!(
        engine,
        "publish_app",
        ["t: &mut Tenant", "id: &str", "space: &str", "Map"],
        "Publishes an app to a managed space (name or id); returns the published copy, whose
        `attributes.originAppId` is `id`.",
        |t: &mut TenantHandle, id: &str, space: &str| publish(t, id, space, Map::new())
    );
    native!(
        engine,
        "publish_app",
        [
            "t: &mut Tenant",
            "id: &str",
            "space: &str",
            "attributes: Map",
            "Map"
        ],
        "Publishes an app to a managed space with the copy's `#{name, description}`.",
        |t: &mut TenantHandle, id: &str, space: &str, attributes: Map| publish(
            t, id, space, attributes
        )
    );
    native!(
        engine,
        "republish_app",
        ["t: &mut Tenant", "id: &str", "target_id: &str", "Map"],
        "Republishes an app over its published copy `target_id` (same id, new content).",
        |t: &mut TenantHandle, id: &str, target: &str| t.value(t.api.republish_app(
            id,
            target,
            Value::Null,
            true
        ))
    );
    native!(
        engine,
        "republish_app",
        [
            "t: &mut Tenant",
            "id: &str",
            "target_id: &str",
            "options: Map",
            "Map"
        ],
        "Republishes with `#{attributes: #{name, description}, checkOriginAppId: false}` (false
        lets another app replace the copy's content).",
        |t: &mut TenantHandle, id: &str, target: &str, options: Map| {
            let attributes = match options.get("attributes") {
                Some(a) if !a.is_unit() => to_json(a)?,
                _ => Value::Null,
            };
            let check = match options.get("checkOriginAppId") {
                None => true,
                Some(v) => match v.as_bool() {
                    Ok(b) => b,
                    Err(_) => return fail("republish_app: `checkOriginAppId` must be a bool"),
                },
            };
            t.value(t.api.republish_app(id, target, attributes, check))
        }
    );
    native!(
        engine,
        "delete_app",
        ["t: &mut Tenant", "id: &str", "()"],
        "Deletes an app.",
        |t: &mut TenantHandle, id: &str| t.call(t.api.delete_app(id)).map(drop)
    );
    native!(
        engine,
        "sha256",
        ["bytes: Blob", "String"],
        "The SHA-256 of bytes as lowercase hex (e.g. of an exported app).",
        |bytes: Blob| sha256_hex(&bytes)
    );
}
