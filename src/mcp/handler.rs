//! The rmcp server handler: `tools/list` from the catalogue, `tools/call` and `resources/read`
//! as the caller of the request ([`Callers`]: the bearer middleware's principal over HTTP, the
//! signed-in person over stdio), the prompts of the served tool sets. One handler for both
//! transports, so both serve the same things.

use std::sync::Arc;

use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ErrorData, GetPromptRequestParams,
    GetPromptResponse, Implementation, JsonObject, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams,
    ReadResourceResponse, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler};
use serde_json::json;

use crate::mcp::caller::{CallerOf, Callers};
use crate::mcp::catalogue::{Catalogue, ToolError};
use crate::mcp::prompts::Prompts;
use crate::mcp::resources::{self, ResourceError};
use crate::norman::NormanClient;
use crate::scope::Scope;

const INSTRUCTIONS: &str = "Tools for the Norman Finance account of the signed-in user: customers, \
invoices, bank transactions, receipts and documents, VAT and tax reports. Amounts on invoices are \
in cents. Every call acts on the company chosen at sign-in unless its company_id argument names \
another company the login may act on (list_companies shows them; nothing is remembered between \
calls, so pass company_id to each call that needs it).";

/// How long a client may keep the tool, prompt and resource lists (MCP 2026-07-28 caching
/// hints, `ttlMs`): they change only when the deployment does, and a rollout should reach
/// clients within minutes.
const LIST_TTL_MS: u64 = 10 * 60 * 1000;

/// One per request (rmcp's stateless mode builds a service for each): three `Arc`s and a tag
/// to clone.
#[derive(Clone)]
pub struct NormanTools {
    catalogue: Arc<Catalogue>,
    prompts: Arc<Prompts>,
    norman: NormanClient,
    callers: Callers,
}

impl NormanTools {
    /// For `/mcp` over HTTP: each request's caller comes from the bearer middleware.
    pub fn new(catalogue: Arc<Catalogue>, prompts: Arc<Prompts>, norman: NormanClient) -> NormanTools {
        NormanTools { catalogue, prompts, norman, callers: Callers::Bearer }
    }

    /// With callers from elsewhere (stdio: the one signed-in person).
    pub fn with_callers(
        catalogue: Arc<Catalogue>,
        prompts: Arc<Prompts>,
        norman: NormanClient,
        callers: Callers,
    ) -> NormanTools {
        NormanTools { catalogue, prompts, norman, callers }
    }

    async fn run(
        &self,
        caller: &CallerOf<'_>,
        name: &str,
        arguments: Option<JsonObject>,
    ) -> Result<CallToolResult, ToolError> {
        // Boxed: the catalogue's future (about 2 KiB, uploads included) would otherwise be
        // part of every future rmcp moves and spawns for a request.
        Box::pin(self.catalogue.call(&self.norman, &caller.caller(), name, arguments)).await
    }
}

impl ServerHandler for NormanTools {
    fn get_info(&self) -> ServerConfig {
        let capabilities =
            ServerCapabilities::builder().enable_tools().enable_prompts().enable_resources().build();
        let mut info = ServerConfig::new(capabilities);
        info.server_info =
            Implementation::new("norman-mcp", env!("CARGO_PKG_VERSION")).with_title("Norman Finance");
        info.instructions = Some(INSTRUCTIONS.to_owned());
        info
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let mut tools = self.catalogue.tools();
        if !structured_output(&context) {
            tools.iter_mut().for_each(|tool| tool.output_schema = None);
        }
        // The same list for every caller of this deployment: any cache may share it.
        Ok(ListToolsResult::with_all_items(tools)
            .with_ttl_ms(LIST_TTL_MS)
            .with_cache_scope(CacheScope::Public))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.catalogue.tool(name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let mut caller = self.callers.of(&context)?;
        let Some(scope) = self.catalogue.scope(&request.name) else {
            return Err(ErrorData::invalid_params(format!("unknown tool: {}", request.name), None));
        };
        if !caller.scopes().contains(scope) {
            return Err(ErrorData::invalid_request("the access token lacks the scope this tool needs", None));
        }
        // Only a caller that renews its own Norman token calls again, so only its arguments
        // are kept for that (uploads make them large). Norman did not act on a request it
        // refused with 401.
        let again = caller.renews().then(|| request.arguments.clone());
        let outcome = match (self.run(&caller, &request.name, request.arguments).await, again) {
            (Err(ToolError::UpstreamUnauthorized), Some(arguments)) if caller.renew().await => {
                self.run(&caller, &request.name, arguments).await
            }
            (outcome, _) => outcome,
        };
        match outcome {
            Ok(mut result) => {
                if !structured_output(&context) {
                    result.structured_content = None;
                }
                Ok(result.into())
            }
            Err(ToolError::UnknownTool(name)) => {
                Err(ErrorData::invalid_params(format!("unknown tool: {name}"), None))
            }
            Err(ToolError::UpstreamUnauthorized) => Err(caller.expired()),
        }
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(self.prompts.list())
            .with_ttl_ms(LIST_TTL_MS)
            .with_cache_scope(CacheScope::Public))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        match self.prompts.get(&request.name, request.arguments.as_ref()) {
            Ok(result) => Ok(result.into()),
            Err(error) => Err(ErrorData::invalid_params(error.to_string(), None)),
        }
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(resources::list(self.catalogue.toolsets()))
            .with_ttl_ms(LIST_TTL_MS)
            .with_cache_scope(CacheScope::Public))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(resources::templates(self.catalogue.toolsets()))
            .with_ttl_ms(LIST_TTL_MS)
            .with_cache_scope(CacheScope::Public))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let caller = self.callers.of(&context)?;
        if !caller.scopes().contains(Scope::Read) {
            return Err(ErrorData::invalid_request("the access token lacks the scope resources need", None));
        }
        let on_behalf = caller.caller();
        if on_behalf.company_id.is_empty() {
            return Err(ErrorData::invalid_request(
                "This Norman login has no company yet; create one in the Norman app first.",
                None,
            ));
        }
        let uri = request.uri;
        match resources::read(&self.norman, &on_behalf, self.catalogue.toolsets(), &uri).await {
            // One user's books: only their own client may keep them, and not for long.
            Ok(result) => Ok(result.with_ttl_ms(0).with_cache_scope(CacheScope::Private).into()),
            // -32002 before 2026-07-28; rmcp sends -32602 to later revisions (SEP-2164).
            Err(ResourceError::NotFound) => {
                Err(ErrorData::resource_not_found("Resource not found", Some(json!({ "uri": uri }))))
            }
            Err(ResourceError::BadUri(message)) => {
                Err(ErrorData::invalid_params(message, Some(json!({ "uri": uri }))))
            }
            Err(ResourceError::Unauthorized) => Err(caller.expired()),
            // A page past the end (DRF's "Invalid page.") or a record that is gone.
            Err(ResourceError::Norman { status: 404, .. }) => {
                Err(ErrorData::resource_not_found("Resource not found", Some(json!({ "uri": uri }))))
            }
            Err(ResourceError::Norman { status, detail }) => {
                let data = json!({ "uri": uri, "status": status, "detail": detail });
                Err(ErrorData::internal_error(
                    format!("Norman refused the request: HTTP {status}"),
                    Some(data),
                ))
            }
            Err(error) => Err(ErrorData::internal_error(error.to_string(), None)),
        }
    }
}

/// `outputSchema` and `structuredContent` exist from revision 2025-06-18 on (MCP 2025-06-18,
/// "Structured Content"); an older client gets the same JSON as text only. rmcp reads the
/// revision from the `MCP-Protocol-Version` header in stateless mode (2025-03-26 without one).
fn structured_output(context: &RequestContext<RoleServer>) -> bool {
    context.protocol_version().is_some_and(|v| v.as_str() >= ProtocolVersion::V_2025_06_18.as_str())
}
