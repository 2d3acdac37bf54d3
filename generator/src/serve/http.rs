//! The HTTP side of `serve`: files of the output directory, the live-reload script and its
//! Server-Sent Events stream, on axum.
//!
//! A request path is decoded segment by segment and refused (400) if any segment is `..` or
//! decodes to something holding a separator or a NUL byte; whatever remains is resolved
//! under the output directory and refused (403) if a symlink leads outside it. HTML
//! responses get the reload script just before `</body>`; the files on disk never have it.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::Stream;
use percent_encoding::percent_decode_str;
use tokio::sync::watch;

use crate::fs;

/// The reload script's URL.
const SCRIPT_PATH: &str = "/__dev/livereload.js";
/// The event stream's URL.
const EVENTS_PATH: &str = "/__dev/events";
const SCRIPT: &str = include_str!("livereload.js");

/// The state of the latest build, as the event stream tells it to pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Status {
    /// Bumped by every build that changed the output (or ended a failure).
    pub(crate) generation: u64,
    /// The diagnostics of the latest build, if it failed.
    pub(crate) error: Option<Arc<str>>,
}

struct App {
    /// The output directory, canonical.
    root: PathBuf,
    status: watch::Receiver<Status>,
}

/// The dev server's routes over the output directory `root` (canonical).
pub(crate) fn router(root: PathBuf, status: watch::Receiver<Status>) -> Router {
    Router::new()
        .route(SCRIPT_PATH, get(script))
        .route(EVENTS_PATH, get(events))
        .fallback(files)
        .with_state(Arc::new(App { root, status }))
}

async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT)
}

/// `reload` when the generation differs from the page's (`?since=N`), `build-error` with the
/// diagnostics while the latest build failed; then one event per change of either.
async fn events(
    State(app): State<Arc<App>>,
    uri: Uri,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let since = uri
        .query()
        .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("since=")))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let shown = Status { generation: since, error: None };
    let stream = futures_util::stream::unfold(
        (app.status.clone(), shown),
        |(mut status, mut shown)| async move {
            loop {
                let now = status.borrow_and_update().clone();
                let event = match &now.error {
                    Some(error) if shown.error.as_ref() != Some(error) => {
                        Some(Event::default().event("build-error").data(error.as_ref()))
                    }
                    None if now.generation != shown.generation => {
                        Some(Event::default().event("reload").data(now.generation.to_string()))
                    }
                    _ => None,
                };
                if let Some(event) = event {
                    shown = now;
                    return Some((Ok(event), (status, shown)));
                }
                // The sender goes away when the server stops: end the stream.
                status.changed().await.ok()?;
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// What a request path names under the output directory.
#[derive(Debug, PartialEq, Eq)]
enum Resolved {
    File(PathBuf),
    /// A directory asked for without its trailing slash.
    Redirect,
    NotFound,
    /// `..`, an encoded separator or NUL: never looked up.
    BadPath,
    /// Resolves (through a symlink) outside the output directory.
    Outside,
}

/// Resolves the raw (still percent-encoded) request `path` under `root` (canonical).
fn resolve(root: &Path, path: &str) -> Resolved {
    let mut target = root.to_path_buf();
    for segment in path.split('/') {
        let Ok(segment) = percent_decode_str(segment).decode_utf8() else {
            return Resolved::BadPath;
        };
        if segment == ".." || segment.contains(['/', '\\', '\0']) {
            return Resolved::BadPath;
        }
        if !segment.is_empty() && segment != "." {
            target.push(segment.as_ref());
        }
    }
    let Ok(real) = fs::canonicalize(&target) else {
        return Resolved::NotFound;
    };
    if !real.starts_with(root) {
        return Resolved::Outside;
    }
    match fs::metadata(&real) {
        Ok(meta) if meta.is_dir() && !path.ends_with('/') => Resolved::Redirect,
        Ok(meta) if meta.is_dir() => {
            let index = real.join("index.html");
            if fs::metadata(&index).is_ok_and(|m| m.is_file()) {
                Resolved::File(index)
            } else {
                Resolved::NotFound
            }
        }
        Ok(meta) if meta.is_file() => Resolved::File(real),
        _ => Resolved::NotFound,
    }
}

/// The `Content-Type` of a served file, from its name.
fn content_type(path: &Path) -> &'static str {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase());
    let name = name.as_deref().unwrap_or_default();
    if name.ends_with("atom.xml") {
        return "application/atom+xml";
    }
    match name.rsplit_once('.').map_or("", |(_, ext)| ext) {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "xml" => "application/xml",
        "txt" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// `html` with the reload script before its last `</body>` (or at its end).
fn inject(html: &[u8], generation: u64) -> Vec<u8> {
    let tag = format!("<script src=\"{SCRIPT_PATH}\" data-generation=\"{generation}\"></script>\n");
    let at =
        html.windows(7).rposition(|w| w.eq_ignore_ascii_case(b"</body>")).unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + tag.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

fn text(status: StatusCode, message: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message).into_response()
}

async fn files(State(app): State<Arc<App>>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD are served\n");
    }
    let path = uri.path().to_owned();
    let root = app.root.clone();
    let found = tokio::task::spawn_blocking(move || {
        let resolved = resolve(&root, &path);
        let file = match &resolved {
            Resolved::File(file) => file.clone(),
            Resolved::NotFound => root.join("404.html"),
            _ => return (resolved, None),
        };
        let bytes = fs::read(&file).ok();
        (resolved, bytes.map(|b| (file, b)))
    })
    .await;
    let Ok((resolved, contents)) = found else {
        return text(StatusCode::INTERNAL_SERVER_ERROR, "the file could not be read\n");
    };
    let status = match resolved {
        Resolved::BadPath => {
            return text(StatusCode::BAD_REQUEST, "bad request: the path leaves the site\n");
        }
        Resolved::Outside => {
            return text(StatusCode::FORBIDDEN, "forbidden: the path leads outside the site\n");
        }
        Resolved::Redirect => {
            let mut location = format!("{}/", uri.path());
            if let Some(query) = uri.query() {
                location = format!("{location}?{query}");
            }
            return Response::builder()
                .status(StatusCode::PERMANENT_REDIRECT)
                .header(header::LOCATION, location)
                .body(Body::empty())
                .unwrap_or_else(|_| text(StatusCode::BAD_REQUEST, "bad request\n"));
        }
        Resolved::File(_) => StatusCode::OK,
        Resolved::NotFound => StatusCode::NOT_FOUND,
    };
    let (file, bytes) = match contents {
        Some(found) => found,
        // No 404.html: the site has not been built yet (its first build failed). The page
        // still gets the script, which shows why.
        None if status == StatusCode::NOT_FOUND => (
            PathBuf::from("404.html"),
            b"<!doctype html>\n<title>Not found</title>\n<p>404: nothing here (the site has no 404.html yet).</p>\n".to_vec(),
        ),
        None => return text(StatusCode::INTERNAL_SERVER_ERROR, "the file could not be read\n"),
    };
    let mime = content_type(&file);
    let body = if mime.starts_with("text/html") {
        inject(&bytes, app.status.borrow().generation)
    } else {
        bytes
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_only_under_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("public");
        std::fs::create_dir_all(root.join("css")).unwrap();
        std::fs::write(root.join("index.html"), "home").unwrap();
        std::fs::write(root.join("css/site.css"), "css").unwrap();
        std::fs::write(dir.path().join("secret"), "secret").unwrap();
        let root = root.canonicalize().unwrap();
        let file = |rel: &str| Resolved::File(root.join(rel));
        assert_eq!(resolve(&root, "/"), file("index.html"));
        assert_eq!(resolve(&root, "/css/site.css"), file("css/site.css"));
        assert_eq!(resolve(&root, "/./css/%73ite.css"), file("css/site.css"));
        assert_eq!(resolve(&root, "/css"), Resolved::Redirect);
        assert_eq!(resolve(&root, "/css/"), Resolved::NotFound);
        assert_eq!(resolve(&root, "/../secret"), Resolved::BadPath);
        assert_eq!(resolve(&root, "/%2e%2e/secret"), Resolved::BadPath);
        assert_eq!(resolve(&root, "/%2E%2E/secret"), Resolved::BadPath);
        assert_eq!(resolve(&root, "/..%2fsecret"), Resolved::BadPath);
        assert_eq!(resolve(&root, "/css/..%5C..%5Csecret"), Resolved::BadPath);
        assert_eq!(resolve(&root, "/index.html%00.css"), Resolved::BadPath);
        assert_eq!(resolve(&root, "/%ff"), Resolved::BadPath);
        let absolute = format!("/{}", dir.path().join("secret").display());
        assert_eq!(resolve(&root, &absolute), Resolved::NotFound);
        assert_eq!(resolve(&root, "/%2Fetc%2Fpasswd"), Resolved::BadPath);
    }

    #[test]
    fn refuses_symlinks_that_leave_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("public");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(dir.path().join("secret"), "secret").unwrap();
        std::fs::write(root.join("inside.txt"), "inside").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("leak")).unwrap();
        std::os::unix::fs::symlink(root.join("inside.txt"), root.join("alias.txt")).unwrap();
        let root = root.canonicalize().unwrap();
        assert_eq!(resolve(&root, "/leak"), Resolved::Outside);
        assert_eq!(resolve(&root, "/alias.txt"), Resolved::File(root.join("inside.txt")));
    }

    #[test]
    fn injects_the_script_before_the_last_body_end() {
        let html = b"<body><p>`</body>` in text</p>\n</BODY></html>";
        let out = String::from_utf8(inject(html, 7)).unwrap();
        assert_eq!(
            out,
            "<body><p>`</body>` in text</p>\n<script src=\"/__dev/livereload.js\" data-generation=\"7\"></script>\n</BODY></html>"
        );
        assert!(String::from_utf8(inject(b"<p>x", 1)).unwrap().ends_with("</script>\n"));
    }

    #[test]
    fn names_the_content_types() {
        for (name, mime) in [
            ("index.html", "text/html; charset=utf-8"),
            ("css/site.css", "text/css; charset=utf-8"),
            ("js/demos.js", "text/javascript; charset=utf-8"),
            ("wasm/demos_bg.wasm", "application/wasm"),
            ("favicon.svg", "image/svg+xml"),
            ("sessions.json", "application/json"),
            ("atom.xml", "application/atom+xml"),
            ("security/atom.xml", "application/atom+xml"),
            ("sitemap.xml", "application/xml"),
            ("robots.txt", "text/plain; charset=utf-8"),
            ("LICENSE", "application/octet-stream"),
        ] {
            assert_eq!(content_type(Path::new(name)), mime, "{name}");
        }
    }
}
