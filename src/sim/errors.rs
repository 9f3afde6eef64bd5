//! Qlik error bodies, one shape per API family (reference §9.1), and response helpers.

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

/// Which API family answers, since their error bodies differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `{errors:[{code,title,detail?}]}` (oauth, routing, 429, 503).
    Generic,
    /// `{errors:[{code,title,detail?,status:"404",source?}], traceId}` (status is a string).
    Tenants,
    /// `{errors:[{code,title,detail,status:404}], traceId}` (status is a number).
    Users,
    /// `{errors:[{code,title,detail?}], traceId}` (no status).
    Roles,
    /// `{error, errors:[{code,title,detail?}], message}`.
    Licenses,
}

/// An error answer, rendered according to its [`Api`] (boxed: results stay small).
#[derive(Debug, Clone)]
pub struct ApiError(Box<ErrorData>);

#[derive(Debug, Clone)]
pub struct ErrorData {
    pub api: Api,
    pub status: u16,
    pub code: String,
    pub title: String,
    pub detail: Option<String>,
    pub pointer: Option<String>,
    pub meta: Option<Value>,
    pub headers: Vec<(&'static str, String)>,
}

pub type HResult = Result<Response, ApiError>;

impl ApiError {
    pub fn new(api: Api, status: u16, code: impl Into<String>, title: impl Into<String>) -> Self {
        ApiError(Box::new(ErrorData {
            api,
            status,
            code: code.into(),
            title: title.into(),
            detail: None,
            pointer: None,
            meta: None,
            headers: Vec::new(),
        }))
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// `HTTP-<status>` with the standard reason phrase.
    pub fn http(api: Api, status: u16) -> Self {
        let title = StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        ApiError::new(api, status, format!("HTTP-{status}"), title)
    }

    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.0.detail = Some(d.into());
        self
    }

    pub fn pointer(mut self, p: impl Into<String>) -> Self {
        self.0.pointer = Some(p.into());
        self
    }

    pub fn meta(mut self, m: Value) -> Self {
        self.0.meta = Some(m);
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.0.headers.push((name, value.into()));
        self
    }

    /// The JSON body, with `trace_id` where the API carries one.
    pub fn body(&self, trace_id: &str) -> Value {
        let e = &self.0;
        let mut item = Map::new();
        item.insert("code".into(), json!(e.code));
        item.insert("title".into(), json!(e.title));
        if let Some(d) = &e.detail {
            item.insert("detail".into(), json!(d));
        }
        match e.api {
            Api::Tenants => {
                item.insert("status".into(), json!(e.status.to_string()));
            }
            Api::Users => {
                item.insert("status".into(), json!(e.status));
                if !item.contains_key("detail") {
                    item.insert("detail".into(), json!(e.title));
                }
            }
            _ => {}
        }
        if let Some(p) = &e.pointer {
            item.insert("source".into(), json!({"pointer": p}));
        }
        if let Some(m) = &e.meta {
            item.insert("meta".into(), m.clone());
        }
        let errors = Value::Array(vec![Value::Object(item)]);
        match e.api {
            Api::Generic => json!({"errors": errors}),
            Api::Tenants | Api::Users | Api::Roles => {
                json!({"errors": errors, "traceId": trace_id})
            }
            Api::Licenses => json!({
                "error": e.title,
                "errors": errors,
                "message": e.detail.clone().unwrap_or_else(|| e.title.clone()),
            }),
        }
    }

    pub fn into_response(self, trace_id: &str) -> Response {
        let mut resp = json_response(self.0.status, &self.body(trace_id));
        for (name, value) in &self.0.headers {
            if let (Ok(n), Ok(v)) = (HeaderName::try_from(*name), HeaderValue::from_str(value)) {
                resp.headers_mut().insert(n, v);
            }
        }
        resp
    }
}

/// `code`, `title` and `detail` in `api`'s shape: the form each API gives its own errors.
pub fn coded(
    api: Api,
    status: u16,
    code: &str,
    title: &str,
    detail: impl Into<String>,
) -> ApiError {
    ApiError::new(api, status, code, title).detail(detail)
}

/// 400 `Bad request` with the API's `code`.
pub fn bad_request(api: Api, code: &str, detail: impl Into<String>) -> ApiError {
    coded(api, 400, code, "Bad request", detail)
}

/// 403 `Forbidden` with the API's `code`.
pub fn forbidden(api: Api, code: &str, detail: impl Into<String>) -> ApiError {
    coded(api, 403, code, "Forbidden", detail)
}

/// 403 `Forbidden` with the API's `code`: the caller is not a TenantAdmin.
pub fn tenant_admin_only(api: Api, code: &str) -> ApiError {
    forbidden(api, code, "The caller needs the TenantAdmin role")
}

/// 404 `Not found` with the API's `code`: `<what> <id> not found`.
pub fn not_found(api: Api, code: &str, what: &str, id: &str) -> ApiError {
    coded(
        api,
        404,
        code,
        "Not found",
        format!("{what} {id} not found"),
    )
}

pub fn json_response(status: u16, body: &Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

pub fn ok(body: &Value) -> HResult {
    Ok(json_response(200, body))
}

pub fn no_content() -> HResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A redirect (301/302) to an absolute `location`.
pub fn redirect(status: u16, location: &str) -> HResult {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FOUND);
    let mut resp = status.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// Adds a header to a response (ignoring values that are not valid header text).
pub fn with_header(mut resp: Response, name: &'static str, value: &str) -> Response {
    if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::from_str(value)) {
        resp.headers_mut().insert(n, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_differ_per_api() {
        let t = ApiError::new(Api::Tenants, 404, "TENANTS-8", "Not found").body("t");
        assert_eq!(t["errors"][0]["status"], "404");
        assert_eq!(t["traceId"], "t");
        let u = ApiError::new(Api::Users, 404, "USERS-7", "Not found").body("t");
        assert_eq!(u["errors"][0]["status"], 404);
        let l = ApiError::new(Api::Licenses, 404, "LICENSES-404", "Not found").body("t");
        assert_eq!(l["error"], "Not found");
        assert!(l.get("traceId").is_none());
        let g = ApiError::http(Api::Generic, 405).body("t");
        assert_eq!(
            g,
            json!({"errors":[{"code":"HTTP-405","title":"Method Not Allowed"}]})
        );
    }

    #[test]
    fn coded_helpers_keep_the_api_shape() {
        let n = not_found(Api::Roles, "SPACES-404", "Space", "x").body("t");
        assert_eq!(
            n,
            json!({"errors":[{"code":"SPACES-404","title":"Not found","detail":"Space x not found"}],
                   "traceId":"t"})
        );
        let f = tenant_admin_only(Api::Users, "USERS-403").body("t");
        assert_eq!(f["errors"][0]["status"], 403);
        assert_eq!(f["errors"][0]["title"], "Forbidden");
        assert_eq!(
            f["errors"][0]["detail"],
            "The caller needs the TenantAdmin role"
        );
        let b = bad_request(Api::Licenses, "LICENSES-400", "no").body("t");
        assert_eq!(b["error"], "Bad request");
        assert_eq!(b["message"], "no");
    }
}
