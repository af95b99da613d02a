//! `list_companies` and `switch_company`: the companies a login may act on. The server keeps
//! nothing between calls (docs/architecture.md, "The one idea: no tables"), so "switching"
//! cannot change what later calls act on; it checks the company and says how to name it.

use http::Method;
use rmcp::model::CallToolResult;
use serde_json::{Value, json};

use super::{Call, parsed};
use crate::mcp::catalogue::args::Args;
use crate::mcp::catalogue::reply::{Fail, json_result};
use crate::mcp::catalogue::spec::COMPANY_ID;
use crate::norman::api::ApiBody;

/// `list_companies`: `{signedInCompanyId, count, companies: [{id, name, access, signedIn}]}`.
pub(super) async fn list(call: &Call<'_>) -> Result<CallToolResult, Fail> {
    let companies = call.companies.of(call.norman, call.caller.norman_access).await?;
    let signed_in = call.caller.company_id;
    let listed: Vec<Value> = companies
        .all()
        .iter()
        .map(|company| {
            json!({
                "id": company.id,
                "name": company.name,
                "access": company.access.as_str(),
                "signedIn": company.id == signed_in,
            })
        })
        .collect();
    Ok(json_result(json!({
        "signedInCompanyId": signed_in,
        "count": listed.len(),
        "companies": listed,
    })))
}

/// `switch_company`: the company's details once the login may act on it, and the instruction
/// to pass its id to later calls. Keeps the earlier server's keys (`previousCompanyId`,
/// `activeCompanyId`, `company{name, accountType, isSme}`).
pub(super) async fn switch(call: &Call<'_>, args: &Args, path: String) -> Result<CallToolResult, Fail> {
    let id = args.str(COMPANY_ID).unwrap_or_default();
    let company = call.companies.check(call.norman, call.caller.norman_access, id).await?;
    let query = vec![("companyId", id.to_owned())];
    let details = parsed(call.send(Method::GET, path, query, ApiBody::Empty).await?)?;
    let field = |key: &str| details.get(key).cloned().unwrap_or(Value::Null);
    let signed_in = call.caller.company_id;
    Ok(json_result(json!({
        "previousCompanyId": signed_in,
        "activeCompanyId": id,
        "signedInCompanyId": signed_in,
        "access": company.access.as_str(),
        "company": { "name": field("name"), "accountType": field("accountType"), "isSme": field("isSme") },
        "instruction": format!(
            "This server remembers nothing between calls: pass \"company_id\": \"{id}\" to every later tool call that should act on this company. Calls without company_id act on the company chosen at sign-in ({signed_in})."
        ),
    })))
}
