//! The vocabulary of the tool table: what a tool is (name, hints, Norman endpoint, parameters,
//! hook) and how a parameter is typed and where it goes. The JSON Schema of a tool is derived
//! from the same description, so schema, validation and request building cannot disagree.

use http::Method;
use serde_json::{Map, Value, json};

/// The HTTP method of a tool's main Norman call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verb {
    Get,
    Post,
    Patch,
    Delete,
}

impl Verb {
    pub(super) fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
            Verb::Patch => Method::PATCH,
            Verb::Delete => Method::DELETE,
        }
    }
}

/// The four MCP annotation hints. The scope follows from `read_only`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Hints {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    pub open_world: bool,
}

const fn hints(read_only: bool, destructive: bool, idempotent: bool, open_world: bool) -> Hints {
    Hints { read_only, destructive, idempotent, open_world }
}

/// Reads the user's own books (also through POST endpoints that compute without storing).
pub(super) const READ: Hints = hints(true, false, true, false);
/// Adds a new record; calling twice adds two.
pub(super) const CREATE: Hints = hints(false, false, false, false);
/// Adds records and may reach outside Norman (fetches a URL, or e-mails the customer).
pub(super) const CREATE_OUTSIDE: Hints = hints(false, false, false, true);
/// Overwrites fields of an existing record: the old values are gone, repeating is harmless.
pub(super) const UPDATE: Hints = hints(false, true, true, false);
/// Adds a link between two records; linking again changes nothing.
pub(super) const LINK: Hints = hints(false, false, true, false);
/// Removes a record.
pub(super) const DELETE: Hints = hints(false, true, true, false);
/// Sends an e-mail to people outside the company; every call sends another.
pub(super) const SEND: Hints = hints(false, false, false, true);
/// Files a return with the tax office: irreversible, external, never to be repeated blindly.
pub(super) const FILE_WITH_AUTHORITY: Hints = hints(false, true, false, true);
/// Searches a public register outside Norman (the commercial register) without changing anything.
pub(super) const LOOK_UP_OUTSIDE: Hints = hints(true, false, true, true);
/// Renders documents from data already stored: repeating renders them again, nothing is lost.
pub(super) const GENERATE: Hints = hints(false, false, true, false);
/// Hands data and documents to someone outside Norman (a notary) and locks them: not undone,
/// not to be repeated blindly.
pub(super) const HAND_OVER: Hints = hints(false, true, false, true);
/// Starts a bank transfer from the company's account: money leaves, every call starts another.
pub(super) const PAY: Hints = hints(false, true, false, true);
/// Sets a status that can be set back later; setting it again changes nothing.
pub(super) const SWITCH: Hints = hints(false, false, true, false);
/// Turns a record into another kind: the original is gone, so a second call fails.
pub(super) const CONVERT: Hints = hints(false, true, false, false);

/// What a parameter accepts. Choices match case-insensitively and are normalised.
#[derive(Clone, Copy, Debug)]
pub(super) enum Ty {
    /// Free text.
    Str,
    /// A Norman id; goes into a URL path, so only URL-safe characters.
    Id,
    /// `YYYY-MM-DD`.
    Date,
    Int,
    Num,
    Bool,
    Choice(&'static [&'static str]),
    IntChoice(&'static [i64]),
    StrList,
    /// A list of choices, each at most once.
    ChoiceList(&'static [&'static str]),
    /// The people of the corporate tax questionnaire, replacing the whole list.
    People(People),
    /// A JSON object passed on as it is.
    Object,
    /// Invoice line items: `[{name, quantity, rate, vatRate}]`, amounts in cents.
    Items,
    /// Files as base64: `[{file_name, content}]`.
    Files,
}

/// Which people a `Ty::People` list holds; the Fragebogen zur steuerlichen Erfassung takes at
/// most 9 managing directors and 99 shareholders.
#[derive(Clone, Copy, Debug)]
pub(super) enum People {
    Representatives,
    Shareholders,
}

impl People {
    pub(super) fn max(self) -> usize {
        match self {
            People::Representatives => 9,
            People::Shareholders => 99,
        }
    }
}

/// Where a parameter's value goes in the Norman request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum To {
    /// Replaces `{name}` in the path template.
    Path,
    Query(&'static str),
    /// A key of the JSON body.
    Body(&'static str),
    /// A multipart form field (uploads).
    Form(&'static str),
    /// Read by the tool's hook only.
    Hook,
}

/// When a value is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum When {
    /// Whenever given (or defaulted) and not null.
    Given,
    /// Only when truthy: `""`, `0`, `false`, `[]` and `{}` are dropped, as the Python server did.
    Truthy,
}

/// A default applied when the caller gives nothing (or null).
#[derive(Clone, Copy, Debug)]
pub(super) enum Fill {
    Nothing,
    Str(&'static str),
    Bool(bool),
    Int(i64),
}

impl Fill {
    pub(super) fn value(self) -> Option<Value> {
        match self {
            Fill::Nothing => None,
            Fill::Str(s) => Some(Value::String(s.to_owned())),
            Fill::Bool(b) => Some(Value::Bool(b)),
            Fill::Int(n) => Some(Value::from(n)),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Param {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
    pub to: To,
    pub when: When,
    pub fill: Fill,
    pub doc: &'static str,
}

/// A required parameter, sent as the JSON body key of the same name unless redirected.
pub(super) const fn req(name: &'static str, ty: Ty, doc: &'static str) -> Param {
    Param { name, ty, required: true, to: To::Body(name), when: When::Given, fill: Fill::Nothing, doc }
}

/// An optional parameter, sent as the JSON body key of the same name unless redirected.
pub(super) const fn opt(name: &'static str, ty: Ty, doc: &'static str) -> Param {
    Param { name, ty, required: false, to: To::Body(name), when: When::Given, fill: Fill::Nothing, doc }
}

impl Param {
    pub(super) const fn path(self) -> Param {
        Param { to: To::Path, ..self }
    }
    pub(super) const fn query(self, key: &'static str) -> Param {
        Param { to: To::Query(key), ..self }
    }
    pub(super) const fn body(self, key: &'static str) -> Param {
        Param { to: To::Body(key), ..self }
    }
    pub(super) const fn form(self) -> Param {
        Param { to: To::Form(self.name), ..self }
    }
    pub(super) const fn hook(self) -> Param {
        Param { to: To::Hook, ..self }
    }
    pub(super) const fn truthy(self) -> Param {
        Param { when: When::Truthy, ..self }
    }
    pub(super) const fn fill(self, fill: Fill) -> Param {
        Param { fill, ..self }
    }
}

/// Behaviour beyond "one call, Norman's JSON back". Each is small and lives in `hooks`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Hook {
    None,
    /// PATCH only what was given; with nothing given, show the current record (GET) instead.
    UpdateOrShow,
    /// Number, dates and settings defaults before the POST; the PDF link after it.
    Invoice {
        recurring: bool,
    },
    /// Adds `downloadUrl` from `…/invoices/{publicId}/pdf/` when the invoice has a PDF.
    InvoicePdf,
    /// Adds `downloadUrl` from `taxes/reports/{id}/download/` when the report has a file.
    ReportFile,
    /// Adds `downloadUrl` to each listed attachment.
    AttachmentLinks,
    /// Returns Norman's XML text as `{"xml_content": ...}`.
    XmlText,
    /// Returns the preview image plus the other fields as JSON text.
    PreviewImage,
    /// Signs the amount by cash-flow direction: income positive, expense negative.
    SignedAmount,
    /// The same for an update; the direction is asked from Norman when not given.
    SignedAmountUpdate,
    /// One file with metadata, then its `downloadUrl`.
    UploadOne,
    /// Several receipts for automatic matching.
    UploadMany,
    /// Seals a link to the upload page instead of calling Norman.
    UploadLink,
    /// Sends a fixed query parameter besides the arguments (`type=quote`, a page size).
    FixedQuery(&'static str, &'static str),
    /// Sends a fixed JSON body field besides the arguments (`status: PAID`).
    FixedBody(&'static str, &'static str),
    /// `create_invoice` for a quote: its own number series, `valid_until` as the due date.
    Offer,
    /// The invoice's first page as an image, plus the other fields.
    InvoicePreview,
    /// `verify/` or `unverify/` by the `verify` argument.
    Verification,
    /// Deletes a document, `?confirmed=true` only on the user's word; explains a retention block.
    DeleteDocument,
    /// The document's details and link, and the image itself when it is one.
    AttachmentPreview,
    /// Only for SME companies (`isSme`), which keep their own chart of accounts.
    SmeOnly,
    /// The companies the login may act on, and which of them it signed in for.
    ListCompanies,
    /// Checks the login may act on a company and shows it, with how to act on it: nothing is
    /// remembered between calls, so later calls name it themselves.
    SwitchCompany,
    /// The advisor's client companies, with the company this login acts for.
    AdvisorClients,
    /// A client company's profile, balance, figures, open tax reports and outstanding invoices.
    ClientOverview,
    /// A client's transactions without a document, by month and by amount.
    MissingDocuments,
    /// A client's tax reports, settings and registration numbers, with what is to be done.
    ComplianceStatus,
    /// Asks a client for the documents of several transactions, one request each.
    PingClient,
    /// The caller's own founding draft (`…/my/`); Norman's 404 means there is none yet, which
    /// is an answer, not a failure.
    Mine {
        what: &'static str,
        start: &'static str,
    },
    /// Starts a founding draft, marked as started by an assistant as the earlier server did.
    StartDraft,
    /// A bare JSON list answer, wrapped as `{key: [...]}` so the result is an object.
    WrapList(&'static str),
    /// Generates a draft's documents (an empty JSON body) and answers without the preview
    /// images, which would fill the model's context with base64.
    GenerateDocuments,
    /// The first page of a generated document as an image: the one of type `document_type`,
    /// else the first; without documents, says which tool generates them.
    DocumentPreview {
        generate: &'static str,
    },
    /// Allowed values answered from this table, with no Norman call: Norman serves no list
    /// for these forms.
    Choices(&'static [ChoiceField]),
    /// Where the corporate tax questionnaire is filed (Norman's web app) and whether it is
    /// ready, from the caller's questionnaire.
    SubmissionLink,
}

/// One field's allowed values with a short label each, as a `Hook::Choices` answers them.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ChoiceField {
    pub field: &'static str,
    pub values: &'static [&'static str],
    pub labels: &'static [&'static str],
}

/// The shape of a tool's result, declared as its `outputSchema` (MCP 2025-06-18, "Structured
/// Content"). A result's `structuredContent` must be a JSON object that conforms, so a bare JSON
/// array from Norman is wrapped as `{"results": [...]}` (the key of Norman's own pages); the
/// text content keeps Norman's JSON as it came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Output {
    /// One JSON object: a record, a summary, a confirmation.
    Object,
    /// Several records: Norman's page `{count, next, previous, results}`, or a bare array
    /// wrapped as `{"results": [...]}`.
    List,
}

impl Output {
    pub(super) fn schema(self) -> Map<String, Value> {
        let schema = match self {
            Output::Object => json!({"type": "object"}),
            // No `required`: an endpoint that answers a single object still conforms.
            Output::List => json!({
                "type": "object",
                "properties": {
                    "results": {"type": "array", "description": "The records, in Norman's order."},
                    "count": {"type": "integer", "description": "How many records match in all pages."},
                    "next": {"type": ["string", "null"], "description": "The next page's URL, if any."},
                    "previous": {"type": ["string", "null"]}
                }
            }),
        };
        match schema {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}

/// The named sets tools belong to; a deployment serves a choice of them, and a prompt is
/// offered only when every set its text relies on is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Toolset {
    /// Company details and balance, clients, invoices and offers, transactions.
    Core,
    /// Vendors, bills, company categories, SKR accounts, DATEV export.
    Bookkeeping,
    /// Attachments (receipts, invoices) and their uploads.
    Documents,
    /// Tax reports, Finanzamt preview and filing, VAT figures, tax settings.
    Taxes,
    /// A tax advisor's view of their client companies.
    TaxAdvisor,
    /// GmbH/UG incorporation, trade registration, corporate tax registration.
    Founding,
}

impl Toolset {
    pub const ALL: [Toolset; 6] = [
        Toolset::Core,
        Toolset::Bookkeeping,
        Toolset::Documents,
        Toolset::Taxes,
        Toolset::TaxAdvisor,
        Toolset::Founding,
    ];

    /// The set's name on the command line and in prompt files.
    pub fn name(self) -> &'static str {
        match self {
            Toolset::Core => "core",
            Toolset::Bookkeeping => "bookkeeping",
            Toolset::Documents => "documents",
            Toolset::Taxes => "taxes",
            Toolset::TaxAdvisor => "tax-advisor",
            Toolset::Founding => "founding",
        }
    }

    pub fn from_name(name: &str) -> Option<Toolset> {
        Toolset::ALL.into_iter().find(|set| set.name() == name)
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// The tool sets a deployment serves (`--toolsets`); all of them unless chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Toolsets(u8);

impl Toolsets {
    pub const ALL: Toolsets = Toolsets((1 << Toolset::ALL.len()) - 1);

    pub fn contains(self, set: Toolset) -> bool {
        self.0 & set.bit() != 0
    }

    /// Whether every set of `sets` is served.
    pub fn contains_all(self, sets: &[Toolset]) -> bool {
        sets.iter().all(|&set| self.contains(set))
    }
}

impl Default for Toolsets {
    fn default() -> Self {
        Toolsets::ALL
    }
}

impl std::str::FromStr for Toolsets {
    type Err = String;

    /// Comma-separated set names (`core,bookkeeping`); an unknown name is refused with the list
    /// of valid ones, so a typo cannot quietly serve fewer tools.
    fn from_str(text: &str) -> Result<Toolsets, String> {
        let mut bits = 0;
        for name in text.split(',').map(str::trim).filter(|name| !name.is_empty()) {
            let Some(set) = Toolset::from_name(&name.to_ascii_lowercase()) else {
                let valid: Vec<&str> = Toolset::ALL.iter().map(|set| set.name()).collect();
                return Err(format!("unknown tool set `{name}`; valid tool sets: {}", valid.join(", ")));
            };
            bits |= set.bit();
        }
        if bits == 0 {
            return Err("name at least one tool set".to_owned());
        }
        Ok(Toolsets(bits))
    }
}

impl std::fmt::Display for Toolsets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> =
            Toolset::ALL.into_iter().filter(|&set| self.contains(set)).map(Toolset::name).collect();
        f.write_str(&names.join(","))
    }
}

/// One tool.
#[derive(Debug)]
pub(super) struct Spec {
    pub name: &'static str,
    /// Human-readable name for clients' tool pickers (MCP `Tool.title`).
    pub title: &'static str,
    pub set: Toolset,
    pub doc: &'static str,
    pub hints: Hints,
    pub verb: Verb,
    /// Relative to the Norman base URL; `{cid}` is the caller's company, `{x}` the id param `x`.
    pub path: &'static str,
    pub params: &'static [Param],
    pub hook: Hook,
    /// The shape of the tool's JSON result: its `outputSchema`.
    pub output: Output,
}

/// What a table entry leaves out: each entry names the fields that matter for it and ends with
/// `..BASE`, so a field added later needs a value only where it differs.
pub(super) const BASE: Spec = Spec {
    name: "",
    title: "",
    set: Toolset::Core,
    doc: "",
    hints: READ,
    verb: Verb::Get,
    path: "",
    params: &[],
    hook: Hook::None,
    output: Output::Object,
};

impl Spec {
    /// Whether the tool acts on the caller's company. The founding drafts belong to the
    /// person, who has no company before founding one; every other tool's Norman call is
    /// scoped by `companyId`.
    pub(super) fn needs_company(&self) -> bool {
        self.set != Toolset::Founding && !matches!(self.hook, Hook::ListCompanies | Hook::SwitchCompany)
    }

    /// The optional `company_id` of a tool acting on a company that does not name one itself
    /// (the tax-advisor tools name their client): it picks another company the login may act
    /// on instead of the signed-in one (docs/architecture.md, "Choosing the company"). The
    /// advisor's list of clients belongs to the login, not to a company.
    pub(super) fn company_choice(&self) -> Option<&'static Param> {
        let takes = self.needs_company()
            && self.param(COMPANY_ID).is_none()
            && !matches!(self.hook, Hook::AdvisorClients);
        takes.then_some(&COMPANY_CHOICE)
    }

    pub(super) fn param(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }

    /// The tool's input schema: an object with one property per parameter, no others.
    pub(super) fn schema(&self) -> Map<String, Value> {
        let mut properties = Map::new();
        for p in self.params.iter().chain(self.company_choice()) {
            let mut property = match type_schema(p.ty) {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            property.insert("description".into(), Value::String(p.doc.to_owned()));
            if let Some(default) = p.fill.value() {
                property.insert("default".into(), default);
            }
            properties.insert(p.name.to_owned(), Value::Object(property));
        }
        let required: Vec<Value> =
            self.params.iter().filter(|p| p.required).map(|p| Value::String(p.name.to_owned())).collect();
        let mut schema = Map::new();
        schema.insert("type".into(), Value::String("object".into()));
        schema.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            schema.insert("required".into(), Value::Array(required));
        }
        schema.insert("additionalProperties".into(), Value::Bool(false));
        schema
    }
}

/// The argument naming the company a call acts on.
pub(super) const COMPANY_ID: &str = "company_id";

/// The `company_id` every company tool takes besides its own parameters.
pub(super) const COMPANY_CHOICE: Param = opt(
    COMPANY_ID,
    Ty::Id,
    "The company to act on: an id from list_companies (own companies and, for a tax advisor, client companies). Without it the call acts on the company chosen at sign-in.",
)
.hook();

/// Characters allowed in an id: RFC 3986 unreserved, so an id can never change the path.
pub(super) const ID_PATTERN: &str = "^[A-Za-z0-9._~-]+$";

pub(super) fn type_schema(ty: Ty) -> Value {
    match ty {
        Ty::Str => json!({"type": "string"}),
        Ty::Id => json!({"type": "string", "minLength": 1, "maxLength": 128, "pattern": ID_PATTERN}),
        Ty::Date => json!({"type": "string", "format": "date"}),
        Ty::Int => json!({"type": "integer"}),
        Ty::Num => json!({"type": "number"}),
        Ty::Bool => json!({"type": "boolean"}),
        Ty::Choice(values) => json!({"type": "string", "enum": values}),
        Ty::IntChoice(values) => json!({"type": "integer", "enum": values}),
        Ty::StrList => json!({"type": "array", "items": {"type": "string"}}),
        Ty::ChoiceList(values) => {
            json!({"type": "array", "items": {"type": "string", "enum": values}, "uniqueItems": true})
        }
        Ty::People(people) => people_schema(people),
        Ty::Object => json!({"type": "object"}),
        Ty::Items => json!({
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "What was sold."},
                    "quantity": {"type": "number", "exclusiveMinimum": 0},
                    "rate": {"type": "integer", "description": "Unit price in cents (12.50 EUR = 1250)."},
                    "vatRate": {"type": "integer", "enum": [0, 7, 19], "description": "VAT percent; 19 if omitted."},
                    "total": {"type": "integer", "description": "Line total in cents; Norman computes it when omitted."},
                    "unit": {"type": "string", "description": "e.g. hours, pieces."},
                    "description": {"type": "string"}
                },
                "required": ["name", "quantity", "rate"]
            }
        }),
        Ty::Files => json!({
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "file_name": {"type": "string", "description": "Name with extension, e.g. receipt.pdf."},
                    "content": {"type": "string", "description": "The file as base64 (a data: URI prefix is fine)."}
                },
                "required": ["content"]
            }
        }),
    }
}

/// One person of the corporate tax questionnaire, with the keys Norman takes (camelCase).
fn people_schema(people: People) -> Value {
    let text = |description: &str| json!({"type": "string", "description": description});
    let mut properties = Map::new();
    properties.insert(
        "salutation".into(),
        json!({"type": "string", "enum": ["1", "2"], "description": "1 Herr, 2 Frau."}),
    );
    properties.insert("firstName".into(), text("First names."));
    properties.insert("lastName".into(), text("Last name."));
    properties.insert(
        "dob".into(),
        json!({"type": "string", "format": "date", "description": "Date of birth, YYYY-MM-DD."}),
    );
    properties.insert("taxId".into(), json!({"type": "string", "pattern": "^[0-9]{11}$", "description": "Personal tax id (Steuer-IdNr.), 11 digits."}));
    properties.insert("street".into(), text("Street of the home address."));
    properties.insert("houseNumber".into(), text("House number."));
    properties.insert("additional".into(), text("Address addition (c/o, floor)."));
    properties.insert("postalCode".into(), text("Postcode."));
    properties.insert("city".into(), text("City."));
    properties.insert("country".into(), json!({"type": "string", "minLength": 2, "maxLength": 2, "description": "ISO 3166 two-letter country code, e.g. DE."}));
    let mut required = vec!["firstName", "lastName"];
    match people {
        People::Representatives => {
            properties.insert("phone".into(), text("Phone number."));
            properties.insert(
                "email".into(),
                json!({"type": "string", "format": "email", "description": "E-mail address."}),
            );
        }
        People::Shareholders => {
            properties.insert("shareholderType".into(), json!({"type": "string", "enum": ["natural", "legal"], "description": "natural (a person) or legal (a company)."}));
            properties.insert("entityName".into(), text("The company's name, for a legal shareholder."));
            properties.insert(
                "shareNominalAmount".into(),
                text("Nominal amount of the share in whole euros, e.g. \"12500\"."),
            );
            properties.insert("sharePercent".into(), json!({"type": "number", "minimum": 0, "maximum": 100, "description": "Share in percent; all shareholders' add up to 100."}));
            required = vec!["shareholderType", "shareNominalAmount", "sharePercent"];
        }
    }
    json!({
        "type": "array",
        "maxItems": people.max(),
        "items": {"type": "object", "properties": properties, "required": required, "additionalProperties": false},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolsets_parse_from_names_and_refuse_unknown_ones() {
        let sets: Toolsets = "core, Tax-Advisor,".parse().unwrap();
        assert!(sets.contains(Toolset::Core) && sets.contains(Toolset::TaxAdvisor));
        assert!(!sets.contains(Toolset::Documents));
        assert_eq!(sets.to_string(), "core,tax-advisor");
        assert_eq!(Toolsets::ALL.to_string(), "core,bookkeeping,documents,taxes,tax-advisor,founding");
        assert_eq!(Toolsets::ALL.to_string().parse::<Toolsets>(), Ok(Toolsets::ALL));
        let error = "core,invoices".parse::<Toolsets>().unwrap_err();
        assert!(error.contains("`invoices`") && error.contains("core, bookkeeping, documents"), "{error}");
        assert!(" , ".parse::<Toolsets>().is_err());
    }
}
