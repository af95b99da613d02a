//! The rmcp server handler: `tools/list` from the catalogue, `tools/call` as the caller whose
//! principal the bearer middleware put into this request's extensions.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorData, Implementation,
    ListToolsResult, PaginatedRequestParams, ProtocolVersion, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler};

use crate::mcp::bearer::UpstreamSession;
use crate::mcp::catalogue::{Caller, Catalogue, ToolError};
use crate::norman::NormanClient;
use crate::tokens::access::Principal;

const INSTRUCTIONS: &str = "Tools for the Norman Finance account of the signed-in user: customers, \
invoices, bank transactions, receipts and documents, VAT and tax reports. Amounts on invoices are \
in cents. Every call acts on the company of the account that logged in.";

/// One per request (rmcp's stateless mode builds a service for each): two `Arc`s to clone.
#[derive(Clone)]
pub struct NormanTools {
    catalogue: Arc<Catalogue>,
    norman: NormanClient,
}

impl NormanTools {
    pub fn new(catalogue: Arc<Catalogue>, norman: NormanClient) -> NormanTools {
        NormanTools { catalogue, norman }
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
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let mut tools = self.catalogue.tools();
        if !structured_output(&context) {
            tools.iter_mut().for_each(|tool| tool.output_schema = None);
        }
        Ok(ListToolsResult::with_all_items(tools))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.catalogue.tool(name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let parts = context.extensions.get::<axum::http::request::Parts>();
        let principal = parts.and_then(|p| p.extensions.get::<Arc<Principal>>());
        let upstream = parts.and_then(|p| p.extensions.get::<UpstreamSession>());
        // The bearer middleware always puts both there; without them nobody is calling.
        let (Some(principal), Some(upstream)) = (principal, upstream) else {
            return Err(ErrorData::internal_error("the request carries no verified caller", None));
        };
        let Some(scope) = self.catalogue.scope(&request.name) else {
            return Err(ErrorData::invalid_params(format!("unknown tool: {}", request.name), None));
        };
        if !principal.scopes.contains(scope) {
            return Err(ErrorData::invalid_request("the access token lacks the scope this tool needs", None));
        }
        let Some(company_id) = principal.company_id.as_deref() else {
            return Ok(CallToolResult::error(vec![ContentBlock::text(
                "This Norman login has no company yet; create one in the Norman app first.",
            )])
            .into());
        };
        let caller = Caller { norman_access: &principal.norman_access, company_id };
        // Boxed: the catalogue's future (about 2 KiB, uploads included) would otherwise be
        // part of every future rmcp moves and spawns for a request.
        let call = Box::pin(self.catalogue.call(&self.norman, &caller, &request.name, request.arguments));
        match call.await {
            Ok(mut result) => {
                if !structured_output(&context) {
                    result.structured_content = None;
                }
                Ok(result.into())
            }
            Err(ToolError::UnknownTool(name)) => {
                Err(ErrorData::invalid_params(format!("unknown tool: {name}"), None))
            }
            Err(ToolError::UpstreamUnauthorized) => {
                upstream.expire();
                Err(ErrorData::internal_error("the Norman session has expired", None))
            }
        }
    }
}

/// `outputSchema` and `structuredContent` exist from revision 2025-06-18 on (MCP 2025-06-18,
/// "Structured Content"); an older client gets the same JSON as text only. rmcp reads the
/// revision from the `MCP-Protocol-Version` header in stateless mode (2025-03-26 without one).
fn structured_output(context: &RequestContext<RoleServer>) -> bool {
    context.protocol_version().is_some_and(|v| v.as_str() >= ProtocolVersion::V_2025_06_18.as_str())
}
