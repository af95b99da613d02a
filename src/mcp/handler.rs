//! The rmcp server handler: `tools/list` from the catalogue, `tools/call` as the caller of the
//! request ([`Callers`]: the bearer middleware's principal over HTTP, the signed-in person over
//! stdio). One handler for both transports, so both serve the same things.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ErrorData, Implementation, JsonObject,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler};

use crate::mcp::caller::{CallerOf, Callers};
use crate::mcp::catalogue::{Catalogue, ToolError};
use crate::norman::NormanClient;

const INSTRUCTIONS: &str = "Tools for the Norman Finance account of the signed-in user: customers, \
invoices, bank transactions, receipts and documents, VAT and tax reports. Amounts on invoices are \
in cents. Every call acts on the company of the account that logged in.";

/// One per request (rmcp's stateless mode builds a service for each): two `Arc`s and a tag to
/// clone.
#[derive(Clone)]
pub struct NormanTools {
    catalogue: Arc<Catalogue>,
    norman: NormanClient,
    callers: Callers,
}

impl NormanTools {
    /// For `/mcp` over HTTP: each request's caller comes from the bearer middleware.
    pub fn new(catalogue: Arc<Catalogue>, norman: NormanClient) -> NormanTools {
        NormanTools { catalogue, norman, callers: Callers::Bearer }
    }

    /// With callers from elsewhere (stdio: the one signed-in person).
    pub fn with_callers(catalogue: Arc<Catalogue>, norman: NormanClient, callers: Callers) -> NormanTools {
        NormanTools { catalogue, norman, callers }
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
        let mut info = ServerConfig::new(ServerCapabilities::builder().enable_tools().build());
        info.server_info =
            Implementation::new("norman-mcp", env!("CARGO_PKG_VERSION")).with_title("Norman Finance");
        info.instructions = Some(INSTRUCTIONS.to_owned());
        info
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.catalogue.tools()))
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
            Ok(result) => Ok(result.into()),
            Err(ToolError::UnknownTool(name)) => {
                Err(ErrorData::invalid_params(format!("unknown tool: {name}"), None))
            }
            Err(ToolError::UpstreamUnauthorized) => Err(caller.expired()),
        }
    }
}
