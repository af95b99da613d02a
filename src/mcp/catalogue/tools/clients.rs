//! The clients tools.

use super::super::spec::*;
use super::params::*;

pub(in super::super) static TOOLS: &[Spec] = &[
    Spec {
        name: "list_clients",
        title: "List clients",
        set: Toolset::Core,
        doc: "List the company's customers (clients) with their ids, names, type, contact and address data. Use the ids with get_client, update_client or create_invoice.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/clients/",
        params: &[],
        output: Output::List,
        ..BASE
    },
    Spec {
        name: "get_client",
        title: "Get client",
        set: Toolset::Core,
        doc: "Show one customer (client) of the company with all stored details.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/clients/{client_id}/",
        params: &[CLIENT_ID],
        ..BASE
    },
    Spec {
        name: "create_client",
        title: "Create client",
        set: Toolset::Core,
        doc: "Create a customer (client) record that invoices can be addressed to. Returns the new client with its id. Calling twice creates two clients.",
        hints: CREATE,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/clients/",
        params: &[
            req("name", Ty::Str, "Company or person name."),
            opt("client_type", Ty::Choice(CLIENT_TYPES), "business (a company) or private (a person).")
                .body("clientType")
                .fill(Fill::Str("business")),
            ADDRESS,
            ZIP_CODE,
            EMAIL,
            COUNTRY,
            VAT_NUMBER,
            CITY,
            PHONE,
        ],
        ..BASE
    },
    Spec {
        name: "update_client",
        title: "Update client",
        set: Toolset::Core,
        doc: "Change fields of an existing customer (client); only the fields given are changed, the previous values are overwritten. With no field given it shows the client unchanged.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/companies/{cid}/clients/{client_id}/",
        params: &[
            CLIENT_ID,
            CLIENT_NAME_OPT,
            CLIENT_TYPE_OPT,
            ADDRESS,
            ZIP_CODE,
            EMAIL,
            COUNTRY,
            VAT_NUMBER,
            CITY,
            PHONE,
        ],
        hook: Hook::UpdateOrShow,
        ..BASE
    },
    Spec {
        name: "delete_client",
        title: "Delete client",
        set: Toolset::Core,
        doc: "Delete a customer (client) record for good.",
        hints: DELETE,
        verb: Verb::Delete,
        path: "api/v1/companies/{cid}/clients/{client_id}/",
        params: &[CLIENT_ID],
        ..BASE
    },
];
