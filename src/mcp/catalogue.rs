//! The tool catalogue: every tool's name, description, input schema, annotations, the scope it
//! needs, and how its arguments become a Norman API call.
//!
//! The tools are one table (`tools`), described in the vocabulary of `spec`; `args` checks a
//! call's arguments and builds the request pieces, `hooks` runs a call (with the few named
//! extras some tools need), `reply` turns the outcome into a tool result. Tool definitions are
//! built once; a call looks its tool up in a hash map and passes Norman's JSON on as text as it
//! came, parsed once for the result's `structuredContent`.

mod args;
mod companies;
mod hooks;
mod reply;
mod spec;
// Every entry ends with `..BASE`, also those that name every field today, so that a field added
// to `Spec` later needs a value only where it differs from the default.
#[allow(clippy::needless_update)]
mod tools;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{CallToolResult, JsonObject, Tool, ToolAnnotations};

use self::args::Args;
use self::companies::CompanyLists;
use self::hooks::Call;
use self::reply::{Fail, finish};
use self::spec::{COMPANY_ID, Spec};
pub use self::spec::{Toolset, Toolsets};
use crate::mcp::upload::{UploadPolicy, UploadSetupError, Uploads};
use crate::mcp::upload_link::UploadLinks;
use crate::norman::NormanClient;
use crate::scope::Scope;
use crate::tokens::NormanToken;
use crate::tokens::access::Principal;

/// Whose call this is: the Norman credentials and company of the token that authorised it.
pub struct Caller<'a> {
    pub norman_access: &'a NormanToken,
    /// The company chosen at sign-in, which a call acts on unless it names another with
    /// `company_id`. Empty when the login has no company yet: then only the founding tools
    /// run, which act on the person's own drafts.
    pub company_id: &'a str,
    /// The access token that authorised the call; `None` over stdio, where no token is. What
    /// the call hands out beyond its result (an upload link) ends when this token's grant does.
    pub grant: Option<&'a Principal>,
}

/// The answer to a company tool called by a login without a company.
const NO_COMPANY: &str = "This Norman login has no company yet; create one in the Norman app first (the founding tools work without one).";

/// A call that cannot be answered with a tool result. Bad arguments and upstream failures are
/// tool results with `isError` (MCP 2025-11-25: the model reads them and corrects itself).
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("unknown tool: {0}")]
    UnknownTool(String),
    /// Norman refused the user's token (it expired): the MCP client must refresh.
    #[error("the Norman session has expired")]
    UpstreamUnauthorized,
}

struct Entry {
    spec: &'static Spec,
    tool: Tool,
    scope: Scope,
}

pub struct Catalogue {
    entries: Vec<Entry>,
    by_name: HashMap<&'static str, usize>,
    uploads: Uploads,
    /// Where `request_file_upload` seals its links; `None` over stdio, which serves no pages.
    upload_links: Option<Arc<UploadLinks>>,
    toolsets: Toolsets,
    companies: CompanyLists,
}

impl Default for Catalogue {
    fn default() -> Self {
        Catalogue::new(UploadPolicy::default())
    }
}

impl Catalogue {
    /// Never fails: if the upload HTTP client cannot be built (a bad extra root certificate),
    /// the error is logged and file URLs cannot be fetched. [`Catalogue::try_new`] refuses.
    pub fn new(uploads: UploadPolicy) -> Catalogue {
        Catalogue::with_uploads(Uploads::new(uploads))
    }

    pub fn try_new(uploads: UploadPolicy) -> Result<Catalogue, UploadSetupError> {
        Ok(Catalogue::with_uploads(Uploads::try_new(uploads)?))
    }

    fn with_uploads(uploads: Uploads) -> Catalogue {
        let entries: Vec<Entry> = tools::TABLES
            .iter()
            .flat_map(|table| table.iter())
            .map(|spec| entry(spec, uploads.policy()))
            .collect();
        let by_name = entries.iter().enumerate().map(|(i, e)| (e.spec.name, i)).collect();
        Catalogue {
            entries,
            by_name,
            uploads,
            upload_links: None,
            toolsets: Toolsets::ALL,
            companies: CompanyLists::default(),
        }
    }

    /// `request_file_upload` hands out links to the pages these links are served by.
    pub fn with_upload_links(mut self, links: Arc<UploadLinks>) -> Catalogue {
        self.upload_links = Some(links);
        self
    }

    /// Only the tools of `toolsets`: the others are not listed, and calling one is the same
    /// error as calling a tool that does not exist.
    pub fn serving(mut self, toolsets: Toolsets) -> Catalogue {
        self.entries.retain(|entry| toolsets.contains(entry.spec.set));
        self.by_name = self.entries.iter().enumerate().map(|(i, e)| (e.spec.name, i)).collect();
        self.toolsets = toolsets;
        self
    }

    /// The tool sets this catalogue serves.
    pub fn toolsets(&self) -> Toolsets {
        self.toolsets
    }

    /// The tool set tool `name` belongs to, when it is served.
    pub fn toolset(&self, name: &str) -> Option<Toolset> {
        self.entry(name).map(|entry| entry.spec.set)
    }

    /// The longest a tool call can take when every step uses its whole deadline: the file
    /// downloads, a few at a time, then the Norman calls one after another (links included).
    pub fn longest_call(&self, norman_timeout: Duration) -> Duration {
        let policy = self.uploads.policy();
        let download_rounds = policy.max_files.div_ceil(hooks::CONCURRENCY) as u32;
        policy.timeout * download_rounds + norman_timeout * hooks::NORMAN_CALLS_IN_SEQUENCE
    }

    pub fn tools(&self) -> Vec<Tool> {
        self.entries.iter().map(|e| e.tool.clone()).collect()
    }

    pub fn tool(&self, name: &str) -> Option<&Tool> {
        self.entry(name).map(|e| &e.tool)
    }

    /// The scope a call of `name` needs; `None` for an unknown tool.
    pub fn scope(&self, name: &str) -> Option<Scope> {
        self.entry(name).map(|e| e.scope)
    }

    fn entry(&self, name: &str) -> Option<&Entry> {
        self.by_name.get(name).map(|&i| &self.entries[i])
    }

    /// Runs tool `name` as `caller`. The company is the caller's, or one the arguments name
    /// that the caller's Norman login may act on (checked here, before Norman is asked about
    /// it); the caller's Norman token goes only into the Authorization header.
    pub async fn call(
        &self,
        norman: &NormanClient,
        caller: &Caller<'_>,
        name: &str,
        arguments: Option<JsonObject>,
    ) -> Result<CallToolResult, ToolError> {
        let entry = self.entry(name).ok_or_else(|| ToolError::UnknownTool(name.to_owned()))?;
        let outcome = match Args::parse(entry.spec, arguments) {
            Ok(args) => self.run(norman, caller, entry.spec, args).await,
            Err(message) => Err(Fail::Arguments(message)),
        };
        finish(outcome)
    }

    async fn run(
        &self,
        norman: &NormanClient,
        caller: &Caller<'_>,
        spec: &'static Spec,
        args: Args,
    ) -> Result<CallToolResult, Fail> {
        // A tax-advisor tool's own `company_id` (its client) is checked like the one every
        // other company tool takes.
        let named = args.company().or_else(|| spec.needs_company().then(|| args.str(COMPANY_ID)).flatten());
        if let Some(id) = named.filter(|id| *id != caller.company_id) {
            self.companies.check(norman, caller.norman_access, id).await?;
        }
        let chosen = args.company().map(str::to_owned);
        let company_id = chosen.as_deref().unwrap_or(caller.company_id);
        if company_id.is_empty() && spec.needs_company() {
            return Err(Fail::Arguments(NO_COMPANY.to_owned()));
        }
        let caller = Caller { norman_access: caller.norman_access, company_id, grant: caller.grant };
        let call = Call {
            norman,
            caller: &caller,
            uploads: &self.uploads,
            upload_links: self.upload_links.as_deref(),
            spec,
            companies: &self.companies,
        };
        hooks::run(call, args).await
    }
}

/// The fuzz targets' way in (`fuzz/`): what a call does before it reaches Norman.
#[cfg(feature = "fuzzing")]
impl Catalogue {
    /// Checks `arguments` as a call of `name` would, then builds the path, query, form fields
    /// and JSON body of the generic Norman request from them. `None` for an unknown tool.
    pub fn prepare(
        &self,
        name: &str,
        arguments: Option<JsonObject>,
        company_id: &str,
    ) -> Option<Result<(), String>> {
        let entry = self.entry(name)?;
        Some(Args::parse(entry.spec, arguments).and_then(|mut args| {
            args.path(company_id)?;
            args.query(company_id);
            args.form_fields();
            args.take_body();
            Ok(())
        }))
    }
}

fn entry(spec: &'static Spec, uploads: &UploadPolicy) -> Entry {
    let description: Cow<'static, str> = if spec.doc.contains("{max_") {
        let mib = |bytes: usize| format!("{}", (bytes as f64 / (1024.0 * 1024.0) * 10.0).round() / 10.0);
        Cow::Owned(
            spec.doc
                .replace("{max_mib}", &mib(uploads.max_file_bytes))
                .replace("{max_total_mib}", &mib(uploads.max_total_bytes))
                .replace("{max_files}", &uploads.max_files.to_string()),
        )
    } else {
        Cow::Borrowed(spec.doc)
    };
    let hints = spec.hints;
    let annotations = ToolAnnotations::new()
        .read_only(hints.read_only)
        .destructive(hints.destructive)
        .idempotent(hints.idempotent)
        .open_world(hints.open_world);
    let tool = Tool::new(spec.name, description, Arc::new(spec.schema()))
        .with_title(spec.title)
        .with_annotations(annotations)
        .with_raw_output_schema(Arc::new(spec.output.schema()));
    let scope = if hints.read_only { Scope::Read } else { Scope::Write };
    Entry { spec, tool, scope }
}
