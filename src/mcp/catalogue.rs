//! The tool catalogue: every tool's name, description, input schema, annotations, the scope it
//! needs, and how its arguments become a Norman API call.

use std::sync::Arc;

use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

use crate::norman::api::ApiRequest;
use crate::norman::{NormanClient, NormanError};
use crate::scope::Scope;
use crate::tokens::NormanToken;

/// Whose call this is: the Norman credentials and company of the token that authorised it.
pub struct Caller<'a> {
    pub norman_access: &'a NormanToken,
    pub company_id: &'a str,
}

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
    tool: Tool,
    scope: Scope,
}

pub struct Catalogue {
    entries: Vec<Entry>,
}

impl Default for Catalogue {
    fn default() -> Self {
        Catalogue::new()
    }
}

impl Catalogue {
    pub fn new() -> Catalogue {
        let schema: JsonObject = match json!({"type": "object", "properties": {}}) {
            Value::Object(map) => map,
            _ => JsonObject::new(),
        };
        let tool = Tool::new(
            "get_company_details",
            "The profile of the company this login belongs to.",
            Arc::new(schema),
        )
        .with_annotations(
            ToolAnnotations::new().read_only(true).destructive(false).idempotent(true).open_world(false),
        );
        Catalogue { entries: vec![Entry { tool, scope: Scope::Read }] }
    }

    pub fn tools(&self) -> Vec<Tool> {
        self.entries.iter().map(|e| e.tool.clone()).collect()
    }

    pub fn tool(&self, name: &str) -> Option<&Tool> {
        self.entries.iter().find(|e| e.tool.name == name).map(|e| &e.tool)
    }

    /// The scope a call of `name` needs; `None` for an unknown tool.
    pub fn scope(&self, name: &str) -> Option<Scope> {
        self.entries.iter().find(|e| e.tool.name == name).map(|e| e.scope)
    }

    pub async fn call(
        &self,
        norman: &NormanClient,
        caller: &Caller<'_>,
        name: &str,
        _arguments: Option<JsonObject>,
    ) -> Result<CallToolResult, ToolError> {
        if self.scope(name).is_none() {
            return Err(ToolError::UnknownTool(name.to_owned()));
        }
        let request = ApiRequest {
            method: reqwest::Method::GET,
            path: format!("api/v1/companies/{}/", caller.company_id),
            query: vec![("companyId", caller.company_id.to_owned())],
            json: None,
            token: caller.norman_access,
        };
        match norman.call(request).await {
            Ok(response) => {
                Ok(CallToolResult::success(vec![ContentBlock::text(String::from_utf8_lossy(&response.body))]))
            }
            Err(NormanError::Unauthorized) => Err(ToolError::UpstreamUnauthorized),
            Err(error) => Ok(CallToolResult::error(vec![ContentBlock::text(error.to_string())])),
        }
    }
}
