#!/usr/bin/env python3
"""Checks the MCP prompt files beside this script (see README.md in this directory).

Run it from anywhere:

    python3 src/mcp/prompts/check.py                # the prompt files
    python3 src/mcp/prompts/check.py --api PATH     # and TOOLS below against the API notes
    python3 src/mcp/prompts/check.py --list         # print each prompt's arguments, tool sets and tools

What it checks, for every `*.toml` here:

* the file is valid TOML with exactly the keys the loader reads, and its name is the file name;
* the set of prompts, their argument names and which are required are the earlier Python
  server's (PROMPTS below), so clients written for it keep working;
* every `{placeholder}` in a message names one of the prompt's arguments, every argument is
  used, and an optional argument's placeholder stands alone on its line (the loader drops that
  line when the argument is missing or empty);
* every tool a text names in backticks exists (TOOLS below), every argument written in a
  call form `tool(arg, arg=value)` is one of that tool's parameters, and every other snake_case
  word in backticks is a tool, a parameter, a prompt argument or a known enum value;
* the tools a text names all belong to the tool sets the prompt declares, and every declared
  set is used: the loader hides a prompt whose sets a deployment does not serve;
* a text that names a tool which changes data, sends e-mail, pays or files says "confirm";
* a text's length: 150 to 500 words, founding workflows up to 1,200.

TOOLS is the tool catalogue of the earlier server (104 tools, with their parameter names),
plus `list_companies`; each tool is listed with the tool set it
belongs to and whether it changes anything. `--api` re-reads the API notes' section 3 and
fails if a tool or parameter here is not there, or a tool there is missing here.
"""

import argparse
import re
import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent

TOOLSETS = ("core", "bookkeeping", "documents", "taxes", "tax-advisor", "founding")

READS, WRITES = False, True

# name: (tool set, whether it changes data / sends / pays / files, parameter names)
TOOLS = {
    "list_clients": ("core", READS, ""),
    "get_client": ("core", READS, "client_id"),
    "create_client": ("core", WRITES, "address city client_type country email name phone vat_number zip_code"),
    "update_client": ("core", WRITES, "address city client_id client_type country email name phone vat_number zip_code"),
    "delete_client": ("core", WRITES, "client_id"),
    "list_vendors": ("bookkeeping", READS, ""),
    "get_vendor": ("bookkeeping", READS, "vendor_id"),
    "create_vendor": ("bookkeeping", WRITES, "address bic country email iban name phone vat_number"),
    "update_vendor": ("bookkeeping", WRITES, "address bic country email iban name phone vat_number vendor_id"),
    "delete_vendor": ("bookkeeping", WRITES, "vendor_id"),
    "list_bills": ("bookkeeping", READS, "status"),
    "get_bill": ("bookkeeping", READS, "bill_id"),
    "update_bill": ("bookkeeping", WRITES, "bill_id status"),
    "mark_bill_paid": ("bookkeeping", WRITES, "bill_id"),
    "pay_bill": ("bookkeeping", WRITES, "account_id bill_id execution_date purpose"),
    "delete_bill": ("bookkeeping", WRITES, "bill_id"),
    "create_invoice": ("core", WRITES, "bank_name bic client_id color_schema create_qr currency delivery_date due_to font iban invoice_number invoice_type is_to_send is_vat_included issued items language mailing_data notes payment_terms service_end_date service_start_date settings_on_overdue"),
    "create_recurring_invoice": ("core", WRITES, "bank_name bic client_id color_schema create_qr currency delivery_date due_to ends_on_date ends_on_invoice_count font frequency_type frequency_unit iban invoice_number invoice_type is_to_send is_vat_included issued items language notes payment_terms service_end_date service_start_date settings_on_overdue starts_from_date"),
    "get_invoice": ("core", READS, "invoice_id"),
    "send_invoice": ("core", WRITES, "additional_emails body custom_client_email invoice_id is_send_to_company subject"),
    "send_invoice_overdue_reminder": ("core", WRITES, "additional_emails body custom_client_email invoice_id is_send_to_company subject"),
    "link_transaction": ("core", WRITES, "invoice_id transaction_id"),
    "get_einvoice_xml": ("core", READS, "invoice_id"),
    "list_invoices": ("core", READS, "from_date limit name status to_date"),
    "get_invoice_preview": ("core", READS, "invoice_id"),
    "create_offer": ("core", WRITES, "bank_name bic client_id color_schema create_qr currency delivery_date font iban invoice_type is_to_send is_vat_included issued items language mailing_data notes offer_number payment_terms service_end_date service_start_date valid_until"),
    "list_offers": ("core", READS, "from_date limit name status to_date"),
    "get_offer": ("core", READS, "offer_id"),
    "send_offer": ("core", WRITES, "additional_emails body custom_client_email is_send_to_company offer_id subject"),
    "convert_offer_to_invoice": ("core", WRITES, "offer_id"),
    "list_tax_reports": ("taxes", READS, ""),
    "get_tax_report": ("taxes", READS, "report_id"),
    "validate_tax_number": ("taxes", READS, "region_code tax_number"),
    "generate_finanzamt_preview": ("taxes", READS, "report_id"),
    "submit_tax_report": ("taxes", WRITES, "report_id"),
    "list_tax_states": ("taxes", READS, ""),
    "list_tax_settings": ("taxes", READS, ""),
    "update_tax_setting": ("taxes", WRITES, "reporting_frequency setting_id start_tax_report_date tax_type vat_percent vat_type"),
    "get_company_tax_statistics": ("taxes", READS, ""),
    "get_vat_next_report": ("taxes", READS, ""),
    "search_transactions": ("core", READS, "cashflow_type category description from_date limit max_amount min_amount no_invoice no_receipt status to_date"),
    "create_transaction": ("core", WRITES, "amount cashflow_type category_id company_category_id date description payment_date payment_type sale_type supplier_country vat_rate"),
    "update_transaction": ("core", WRITES, "amount cashflow_type category category_id company_category_id date description payment_date payment_type sale_type supplier_country transaction_id vat_rate"),
    "categorize_transaction": ("core", READS, "transaction_amount transaction_description transaction_type"),
    "change_transaction_verification": ("core", WRITES, "transaction_id verify"),
    "request_file_upload": ("documents", READS, "description"),
    "upload_bulk_attachments": ("documents", WRITES, "cashflow_type file_paths file_refs file_urls files_base64"),
    "list_attachments": ("documents", READS, "attachment_type brand_name description file_name linked"),
    "create_attachment": ("documents", WRITES, "additional_metadata amount amount_exchanged attachment_number attachment_type brand_name currency currency_exchanged description file_content_base64 file_name file_ref file_url sale_type supplier_country transactions value_date vat_rate vat_sum_amount vat_sum_amount_exchanged"),
    "link_attachment_transaction": ("documents", WRITES, "attachment_id transaction_id"),
    "delete_attachment": ("documents", WRITES, "attachment_id confirm"),
    "get_attachment_preview": ("documents", READS, "attachment_id"),
    "get_company_details": ("core", READS, ""),
    "get_company_balance": ("core", READS, ""),
    "update_company_details": ("core", WRITES, "activity_start address chart_of_accounts city country datev_advisor_number datev_client_number name phone profession tax_id tax_state vat_id zip_code"),
    "list_company_categories": ("bookkeeping", READS, "cashflow_type"),
    "list_coa_templates": ("bookkeeping", READS, ""),
    "trigger_datev_export": ("bookkeeping", READS, "date_from date_to include_documents"),
    "search_skr_by_code": ("bookkeeping", READS, "code"),
    "suggest_skr_category": ("bookkeeping", READS, "query"),
    "create_company_category": ("bookkeeping", WRITES, "cashflow_type code description name name_de"),
    "get_client_overview": ("tax-advisor", READS, "company_id"),
    "get_missing_documents_summary": ("tax-advisor", READS, "company_id date_from date_to"),
    "get_tax_compliance_status": ("tax-advisor", READS, "company_id"),
    "ping_client_for_documents": ("tax-advisor", WRITES, "company_id transaction_ids"),
    "list_tax_advisor_clients": ("tax-advisor", READS, ""),
    # Changes nothing here: the server keeps no state, so it checks the company and says how to
    # name it (the earlier server changed its remembered company).
    "switch_company": ("core", READS, "company_id"),
    # Not in the earlier server: the companies a person may act on.
    "list_companies": ("core", READS, ""),
    "get_incorporation": ("founding", READS, ""),
    "get_incorporation_choices": ("founding", READS, "choice_type"),
    "create_incorporation": ("founding", WRITES, "legal_form locale"),
    "update_incorporation_company": ("founding", WRITES, "business_address_city business_purpose company_name legal_form public_id registered_address_skipped registered_office_additional registered_office_city registered_office_house_number registered_office_postal_code registered_office_street"),
    "update_incorporation_capital": ("founding", WRITES, "public_id share_capital"),
    "add_incorporation_shareholder": ("founding", WRITES, "additional city country dob email entity_name entity_register_court entity_register_number entity_seat first_name house_number is_managing_director last_name nationality phone postal_code public_id share_nominal_amount shareholder_type street"),
    "update_incorporation_shareholder": ("founding", WRITES, "city country dob first_name house_number is_managing_director last_name nationality postal_code public_id share_nominal_amount shareholder_public_id street"),
    "invite_incorporation_shareholder": ("founding", WRITES, "email public_id shareholder_public_id"),
    "remove_incorporation_shareholder": ("founding", WRITES, "public_id shareholder_public_id"),
    "set_incorporation_agreement": ("founding", WRITES, "agreement_type public_id"),
    "update_incorporation_notary_preferences": ("founding", WRITES, "notarization_timeframe notarization_type notary_city public_id"),
    "generate_incorporation_documents": ("founding", WRITES, "public_id"),
    "get_incorporation_document_preview": ("founding", READS, "document_type public_id"),
    "match_incorporation_notaries": ("founding", READS, "public_id"),
    "request_incorporation_notary": ("founding", WRITES, "message notary_public_id public_id"),
    "suggest_incorporation_purpose": ("founding", READS, "draft public_id"),
    "check_incorporation_name": ("founding", READS, "name public_id"),
    "complete_incorporation_step": ("founding", WRITES, "done public_id register_court register_number step"),
    "get_gewerbe_registration": ("founding", READS, ""),
    "get_gewerbe_registration_choices": ("founding", READS, ""),
    "create_gewerbe_registration": ("founding", WRITES, "incorporation_public_id"),
    "update_gewerbe_basic": ("founding", WRITES, "activity_start_date establishment_type public_id"),
    "update_gewerbe_business": ("founding", WRITES, "activity_description business_city business_email business_house_number business_phone business_postal_code business_street business_type commercial_register_number employees_full_time employees_part_time has_employees legal_form license_authority license_issue_date license_required public_id public_sector_participation registered_name"),
    "update_gewerbe_owner": ("founding", WRITES, "activity_type owner_address_same_as_business owner_birth_name owner_country_of_birth owner_dob owner_email owner_first_names owner_gender owner_last_name owner_nationality owner_phone owner_place_of_birth owner_residence_city owner_residence_house_number owner_residence_postal_code owner_residence_street owner_residence_type public_id"),
    "suggest_gewerbe_activity": ("founding", READS, "draft public_id"),
    "generate_gewerbe_document": ("founding", WRITES, "public_id"),
    "get_gewerbe_document_preview": ("founding", READS, "public_id"),
    "get_gewerbe_trade_office": ("founding", READS, "public_id"),
    "get_corporate_tax_registration": ("founding", READS, ""),
    "get_corporate_tax_registration_choices": ("founding", READS, ""),
    "create_corporate_tax_registration": ("founding", WRITES, "incorporation_public_id"),
    "update_corporate_company": ("founding", WRITES, "activity_description business_additional business_city business_house_number business_postal_code business_street company_name email legal_form management_additional management_address_same management_city management_house_number management_postal_code management_street phone public_id seat_city tax_office website"),
    "update_corporate_registration_details": ("founding", WRITES, "hr_application_date hr_application_filed hr_registered hr_registration_date notary_contract_date public_id register_court register_number register_type"),
    "set_corporate_people": ("founding", WRITES, "public_id representatives shareholder_entries"),
    "update_corporate_financials": ("founding", WRITES, "business_start_date divergent_fiscal_year expected_profit_following_year expected_profit_founding_year fiscal_year_start public_id share_capital"),
    "update_corporate_vat_and_bank": ("founding", WRITES, "bank_account_holder_name bank_account_holder_role bank_iban estimated_vat_amount_founding_year expected_revenue_following_year expected_revenue_founding_year is_kleinunternehmer kleinunternehmer_charge_vat public_id request_vat_id taxation_method"),
    "get_corporate_submission_link": ("founding", READS, ""),
}
TOOLS = {name: (ts, writes, frozenset(params.split())) for name, (ts, writes, params) in TOOLS.items()}

# Company-scoped tools also take the company to act on (the founding drafts belong to a person;
# the two lists belong to the login and act on no company).
COMPANY_PARAM = "company_id"
NO_COMPANY_PARAM = frozenset({"list_companies", "list_tax_advisor_clients"})

# prompt name: {argument name: required}
PROMPTS = {
    "categorize_transactions": {},
    "company_incorporation": {},
    "corporate_tax_registration": {},
    "create_invoice": {"user_input": False},
    "expense_report": {"user_input": False},
    "financial_overview": {},
    "find_receipts": {"user_input": False},
    "gewerbe_registration": {},
    "manage_clients": {},
    "monthly_reconciliation": {"user_input": False},
    "overdue_reminders": {"user_input": False},
    "suggest_category": {},
    "ta_company_review": {},
    "ta_datev_preparation": {},
    "ta_missing_receipts": {},
    "ta_tax_compliance": {},
    "tax_deduction_finder": {"user_input": False},
    "tax_report": {"user_input": False},
    "create_transaction_prompt": {"amount": True, "description": True, "cashflow_type": False},
    "create_client_prompt": {"name": True, "client_type": False},
    "send_invoice_prompt": {"invoice_id": True},
    "search_transactions_prompt": {"date_range": False},
    "tax_report_prompt": {"report_id": True},
    "upload_documents_prompt": {"file_paths": True, "cashflow_type": False},
    "sme_bookkeeping_prompt": {},
    "overdue_reminder_prompt": {"invoice_id": True, "days_overdue": True},
}

# snake_case enum values the texts may quote in backticks.
VALUES = frozenset(
    """
    data_collection data_complete documents_generated notary_requested handed_off notarized
    capital_deposited natural_person legal_entity within_7_days within_2_weeks in_person
    bank_account head_office sole_proprietorship sole_proprietor_ek gmbh_co_kg ug_co_kg
    vat_subject vat_exempt profit_loss
    no_shareholders too_many_shareholders no_managing_director
    """.split()
)

KEYS = {"name", "title", "description", "toolsets", "arguments", "messages"}
REQUIRED_KEYS = KEYS - {"arguments"}
WORDS = (150, 500)
FOUNDING_WORDS = (150, 1200)

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
CODE_SPAN = re.compile(r"`([^`]+)`")
CALL = re.compile(r"^([a-z][a-z0-9_]*)\((.*)\)$", re.S)
SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
ASSIGNMENT = re.compile(r"^([a-z][a-z0-9_]*)=")
ELLIPSIS = {"…", "..."}


def split_arguments(text):
    """Splits `a, b=[1, 2], c="x, y"` at its top-level commas."""
    parts, depth, quote, current = [], 0, None, ""
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def parameters_of(tool):
    toolset, _, params = TOOLS[tool]
    if toolset == "founding" or tool in NO_COMPANY_PARAM:
        return params
    return params | {COMPANY_PARAM}


ALL_PARAMS = frozenset().union(*(parameters_of(t) for t in TOOLS))


def check_text(where, text, arguments, errors):
    """Returns the tools the text names."""
    named = set()
    for span in CODE_SPAN.findall(text):
        span = " ".join(span.split())
        call = CALL.match(span)
        if call:
            tool, args = call.group(1), call.group(2).strip()
            if tool not in TOOLS:
                errors.append(f"{where}: `{span}` calls an unknown tool {tool!r}")
                continue
            named.add(tool)
            for arg in split_arguments(args) if args else []:
                if arg in ELLIPSIS:
                    continue
                name = arg.split("=", 1)[0].strip()
                if name not in parameters_of(tool):
                    errors.append(f"{where}: `{span}`: {tool} has no parameter {name!r}")
            continue
        assignment = ASSIGNMENT.match(span)
        if assignment:
            if assignment.group(1) not in ALL_PARAMS:
                errors.append(f"{where}: `{span}`: no tool has a parameter {assignment.group(1)!r}")
            continue
        if span in TOOLS:
            named.add(span)
        elif SNAKE.match(span) and span not in ALL_PARAMS and span not in arguments and span not in VALUES:
            errors.append(f"{where}: `{span}` is neither a tool, a parameter nor a known value")
    return named


def check_placeholders(where, text, arguments, errors):
    """Returns the arguments the text uses."""
    used = set()
    for line in text.split("\n"):
        for name in PLACEHOLDER.findall(line):
            used.add(name)
            if name not in arguments:
                errors.append(f"{where}: placeholder {{{name}}} names no argument of this prompt")
            elif not arguments[name] and line.strip() != "{" + name + "}":
                errors.append(
                    f"{where}: the optional argument's placeholder {{{name}}} must stand alone on its line"
                )
    return used


def load(path, errors):
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        errors.append(f"{path.name}: not valid TOML: {e}")
        return None


def check_prompt(path, prompt, errors):
    where = path.name
    keys = set(prompt)
    for key in sorted(REQUIRED_KEYS - keys):
        errors.append(f"{where}: missing key {key!r}")
    for key in sorted(keys - KEYS):
        errors.append(f"{where}: unknown key {key!r}")
    name = prompt.get("name")
    if name != path.stem:
        errors.append(f"{where}: name {name!r} is not the file name")
    for key in ("title", "description"):
        if not isinstance(prompt.get(key), str) or not prompt.get(key, "").strip():
            errors.append(f"{where}: {key} must be a non-empty string")

    toolsets = prompt.get("toolsets", [])
    if not isinstance(toolsets, list) or not toolsets:
        errors.append(f"{where}: toolsets must be a non-empty list")
        toolsets = []
    for toolset in toolsets:
        if toolset not in TOOLSETS:
            errors.append(f"{where}: unknown tool set {toolset!r} (known: {', '.join(TOOLSETS)})")

    arguments = {}
    for argument in prompt.get("arguments", []):
        if set(argument) != {"name", "description", "required"}:
            errors.append(f"{where}: an argument needs exactly name, description and required: {argument}")
            continue
        if not isinstance(argument["required"], bool):
            errors.append(f"{where}: argument {argument['name']!r}: required must be true or false")
        if not str(argument["description"]).strip():
            errors.append(f"{where}: argument {argument['name']!r} has no description")
        arguments[argument["name"]] = argument["required"]
    expected = PROMPTS.get(name)
    if expected is None:
        errors.append(f"{where}: {name!r} is not a prompt of the earlier server")
    elif arguments != expected:
        errors.append(f"{where}: arguments {arguments} differ from the earlier server's {expected}")

    messages = prompt.get("messages", [])
    if not isinstance(messages, list) or not messages:
        errors.append(f"{where}: at least one message is needed")
        messages = []
    named, used, words = set(), set(), 0
    for n, message in enumerate(messages):
        at = f"{where} message {n + 1}"
        if set(message) != {"role", "text"}:
            errors.append(f"{at}: a message needs exactly role and text")
            continue
        if message["role"] not in ("user", "assistant"):
            errors.append(f"{at}: role must be user or assistant")
        text = message["text"]
        words += len(text.split())
        used |= check_placeholders(at, text, arguments, errors)
        named |= check_text(at, text, arguments, errors)

    for argument in arguments:
        if argument not in used:
            errors.append(f"{where}: argument {argument!r} is never used in the text")
    if not named:
        errors.append(f"{where}: the text names no tool")
    used_sets = {TOOLS[tool][0] for tool in named}
    for tool in sorted(named):
        if TOOLS[tool][0] not in toolsets:
            errors.append(f"{where}: names {tool}, which is in tool set {TOOLS[tool][0]!r}, not declared")
    for toolset in toolsets:
        if toolset in TOOLSETS and toolset not in used_sets:
            errors.append(f"{where}: declares tool set {toolset!r} but names none of its tools")
    writes = sorted(tool for tool in named if TOOLS[tool][1])
    if writes and not any("confirm" in m.get("text", "").lower() for m in messages):
        errors.append(f"{where}: names tools that change things ({', '.join(writes)}) but never says confirm")
    low, high = FOUNDING_WORDS if "founding" in toolsets else WORDS
    if not low <= words <= high:
        errors.append(f"{where}: {words} words; keep it between {low} and {high}")


def api_tools(path):
    """Tool name -> parameter names (with enum values mixed in) from the API notes' section 3."""
    ident = re.compile(r"`([a-z_][a-z0-9_]*)(?=[`:?\s=])")
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("## 3. "))
    end = next(i for i, line in enumerate(lines) if line.startswith("## 4. "))
    tools = {}
    for line in lines[start:end]:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if line.startswith("| `") and len(cells) >= 6:
            tools[cells[0].strip("`")] = set(ident.findall(cells[3]))
    current, table_seen = None, False
    for line in lines[start:end]:
        heading = re.match(r"\*\*Parameters for `([a-z_]+)`", line)
        if heading:
            current, table_seen = heading.group(1), False
        elif current:
            if line.startswith("|"):
                table_seen = True
            elif table_seen and not line.strip():
                current = None
                continue
            tools[current] |= set(ident.findall(line))
    # "Same as `send_invoice`", "same keys as `create_invoice`", "the same optional fields as create"
    for name, params in tools.items():
        for other in params & set(tools):
            params |= tools[other]
    tools["update_vendor"] |= tools["create_vendor"]
    return tools


def check_api(path, errors):
    documented = api_tools(path)
    ours = {name for name in TOOLS if name != "list_companies"}
    for name in sorted(set(documented) - ours):
        errors.append(f"TOOLS: {name} is in the API notes but not here")
    for name in sorted(ours - set(documented)):
        errors.append(f"TOOLS: {name} is not in the API notes")
    for name in sorted(ours & set(documented)):
        for param in sorted(TOOLS[name][2] - documented[name]):
            errors.append(f"TOOLS: {name}: parameter {param!r} is not in the API notes")


def main():
    parser = argparse.ArgumentParser(description="Check the MCP prompt files.")
    parser.add_argument("--api", metavar="PATH", help="the API notes (norman-api.md) to check TOOLS against")
    parser.add_argument("--list", action="store_true", help="print each prompt's arguments and tool sets")
    parser.add_argument("--dir", default=HERE, type=Path, help="the directory of prompt files (default: this one)")
    options = parser.parse_args()

    errors = []
    if options.api:
        check_api(options.api, errors)
    prompts = {}
    for path in sorted(options.dir.glob("*.toml")):
        prompt = load(path, errors)
        if prompt is not None:
            check_prompt(path, prompt, errors)
            prompts[path.stem] = prompt
    for name in sorted(set(PROMPTS) - set(prompts)):
        errors.append(f"{name}.toml is missing")

    if options.list:
        for name, prompt in prompts.items():
            args = ", ".join(
                a["name"] + ("" if a["required"] else "?") for a in prompt.get("arguments", [])
            )
            words = sum(len(m["text"].split()) for m in prompt.get("messages", []))
            tools = sorted({t for m in prompt.get("messages", []) for t in check_text("", m["text"], {}, [])})
            print(f"{name:30} ({args or 'none'}) [{', '.join(prompt.get('toolsets', []))}] {words} words")
            print(f"{'':30} {len(tools)} tools: {' '.join(tools)}")
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        print(f"{len(errors)} problem(s)", file=sys.stderr)
        return 1
    print(f"{len(prompts)} prompts OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
