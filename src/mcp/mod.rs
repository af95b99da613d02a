//! The MCP resource server: `/mcp` over Streamable HTTP (rmcp, stateless), behind the bearer
//! middleware, with the tool catalogue calling Norman as the caller.

pub mod catalogue;
pub mod upload;
