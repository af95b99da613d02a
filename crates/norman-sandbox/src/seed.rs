//! The demo data of the two companies: distinct, plausible German bookkeeping, identical in
//! every run (ids are derived from fixed strings; only tokens and presigned links are random).
//!
//! Muster Design GmbH (Berlin, SKR 04, paid plan): a design studio with a Swedish customer
//! (reverse charge), quarterly VAT returns, one overdue invoice and one open quote.
//! Zweite Werkstatt UG (München, SKR 03, free plan: filing a report is 403): a joinery with an
//! Austrian customer, monthly VAT returns as a young company.

use serde_json::{Value, json};
use time::Date;
use time::macros::date;

use super::DemoUser;
use super::company::country_name;
use super::files::{FileBlob, FileStore, token_for};
use super::invoices::{SeedInvoice, seed_invoice};
use super::store::{CompanyData, Record, date_str, obj, seeded_id, str_of};
use super::taxes::report_file_key;
use super::token::Keys;
use super::transactions::category_named;

struct ClientSeed {
    name: &'static str,
    kind: &'static str,
    email: &'static str,
    phone: &'static str,
    vat: &'static str,
    address: &'static str,
    zip: &'static str,
    city: &'static str,
    country: &'static str,
}

struct TxSeed {
    date: Date,
    amount: f64,
    description: &'static str,
    counterparty: &'static str,
    category: &'static str,
    vat: Option<i64>,
    country: &'static str,
    sale_type: &'static str,
    verified: bool,
    payment: &'static str,
}

struct InvoiceSeed {
    client: usize,
    kind: &'static str,
    status: &'static str,
    issued: Date,
    invoice_type: &'static str,
    language: &'static str,
    items: fn() -> Value,
    has_pdf: bool,
    /// The transaction that paid it.
    paid_by: Option<usize>,
}

struct AttachmentSeed {
    file_name: &'static str,
    kind: &'static str,
    tx: Option<usize>,
    amount: f64,
    vat_rate: i64,
    brand: &'static str,
    description: &'static str,
    date: Date,
    number: &'static str,
    country: &'static str,
}

struct ReportSeed {
    kind: &'static str,
    display: &'static str,
    period: &'static str,
    start: Date,
    end: Date,
    status: &'static str,
    due: Date,
    amount: f64,
}

struct SettingSeed {
    tax_type: &'static str,
    vat_type: Option<&'static str>,
    vat_percent: f64,
    start: Date,
    frequency: &'static str,
}

struct CompanySeed {
    company: Value,
    subscription: bool,
    opening_balance: f64,
    invoice_prefix: &'static str,
    quote_prefix: &'static str,
    clients: &'static [ClientSeed],
    transactions: &'static [TxSeed],
    invoices: &'static [InvoiceSeed],
    attachments: &'static [AttachmentSeed],
    reports: &'static [ReportSeed],
    settings: &'static [SettingSeed],
}

pub(crate) fn company(index: usize, user: &DemoUser, keys: &Keys, files: &FileStore) -> CompanyData {
    let seed = if index == 0 { muster_design(user) } else { zweite_werkstatt(user) };
    build(user.company_id, seed, keys, files)
}

fn build(cid: &str, seed: CompanySeed, keys: &Keys, files: &FileStore) -> CompanyData {
    let clients: Vec<Record> = seed
        .clients
        .iter()
        .enumerate()
        .map(|(n, c)| {
            obj(json!({
                "publicId": seeded_id("cli", cid, n),
                "company": cid,
                "name": c.name,
                "clientType": c.kind,
                "email": c.email,
                "phone": c.phone,
                "vatNumber": c.vat,
                "address": c.address,
                "zipCode": c.zip,
                "city": c.city,
                "country": c.country,
                "createdAt": "2025-11-03T10:15:00Z",
                "updatedAt": "2025-11-03T10:15:00Z",
            }))
        })
        .collect();

    let mut transactions: Vec<Record> = seed
        .transactions
        .iter()
        .enumerate()
        .map(|(n, t)| {
            let category = category_named(t.category);
            let stamp = format!("{}T07:00:00Z", date_str(t.date));
            obj(json!({
                "publicId": seeded_id("trx", cid, n),
                "company": cid,
                "amount": t.amount,
                "currency": "EUR",
                "description": t.description,
                "counterpartyName": t.counterparty,
                "cashflowType": if t.amount >= 0.0 { "INCOME" } else { "EXPENSE" },
                "valueDate": date_str(t.date),
                "vatRate": t.vat,
                "saleType": t.sale_type,
                "supplierCountry": t.country,
                "category": category.map(|c| c.id),
                "categoryName": category.map(|c| c.name_de).unwrap_or_default(),
                "companyCategory": null,
                "paymentDate": date_str(t.date),
                "paymentType": t.payment,
                "status": if t.verified { "VERIFIED" } else { "UNVERIFIED" },
                "source": if t.payment == "CASH" { "MANUAL" } else { "BANK" },
                "hasAttachment": false,
                "attachments": [],
                "invoice": null,
                "createdAt": stamp,
                "updatedAt": stamp,
            }))
        })
        .collect();

    let mut invoice_seq = 0;
    let mut quote_seq = 0;
    let mut invoices = Vec::with_capacity(seed.invoices.len());
    for (n, s) in seed.invoices.iter().enumerate() {
        let Some(client) = clients.get(s.client) else {
            continue;
        };
        let (prefix, seq) = if s.kind == "quote" {
            quote_seq += 1;
            (seed.quote_prefix, quote_seq)
        } else {
            invoice_seq += 1;
            (seed.invoice_prefix, invoice_seq)
        };
        let id = seeded_id(if s.kind == "quote" { "quo" } else { "inv" }, cid, n);
        let mut record = seed_invoice(
            cid,
            SeedInvoice {
                id: id.clone(),
                kind: s.kind,
                number: format!("{prefix}-{}-{seq:04}", s.issued.year()),
                status: s.status,
                client,
                issued: s.issued,
                items: (s.items)(),
                invoice_type: s.invoice_type,
                language: s.language,
                has_pdf: s.has_pdf,
            },
        );
        if let Some(tx) = s.paid_by.and_then(|i| transactions.get_mut(i)) {
            tx.insert("invoice".into(), Value::String(id.clone()));
            record.insert("linkedTransactions".into(), json!([str_of(tx, "publicId")]));
            record.insert("paidAt".into(), tx.get("valueDate").cloned().unwrap_or(Value::Null));
        }
        invoices.push(record);
    }

    let mut attachments = Vec::with_capacity(seed.attachments.len());
    for (n, a) in seed.attachments.iter().enumerate() {
        let id = seeded_id("att", cid, n);
        let linked: Vec<String> =
            a.tx.and_then(|i| transactions.get_mut(i))
                .map(|tx| {
                    tx.insert("hasAttachment".into(), Value::Bool(true));
                    tx.insert("attachments".into(), json!([id]));
                    str_of(tx, "publicId").to_owned()
                })
                .into_iter()
                .collect();
        let is_png = a.file_name.ends_with(".png");
        let blob = if is_png { FileBlob::png(a.file_name.into()) } else { FileBlob::pdf(a.file_name.into()) };
        let size = blob.data.len();
        let content_type = blob.content_type.clone();
        files.put(token_for(keys, cid, "attachment", &id), blob);
        let vat_sum = (a.amount * a.vat_rate as f64 / (100.0 + a.vat_rate as f64) * 100.0).round() / 100.0;
        let stamp = format!("{}T12:00:00Z", date_str(a.date));
        attachments.push(obj(json!({
            "publicId": id,
            "company": cid,
            "file": format!("attachments/{cid}/{id}/{}", a.file_name),
            "fileName": a.file_name,
            "fileSize": size,
            "contentType": content_type,
            "attachmentType": a.kind,
            "amount": a.amount,
            "amountExchanged": a.amount,
            "currency": "EUR",
            "currencyExchanged": "EUR",
            "attachmentNumber": a.number,
            "brandName": a.brand,
            "description": a.description,
            "supplierCountry": a.country,
            "valueDate": date_str(a.date),
            "vatSumAmount": vat_sum,
            "vatSumAmountExchanged": vat_sum,
            "vatRate": a.vat_rate,
            "saleType": "",
            "additionalMetadata": null,
            "transactions": linked,
            "linked": !linked.is_empty(),
            "createdAt": stamp,
            "updatedAt": stamp,
        })));
    }

    let tax_reports = seed
        .reports
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let id = seeded_id("txr", cid, n);
            let filed = matches!(r.status, "submitted" | "filed");
            obj(json!({
                "publicId": id,
                "company": cid,
                "type": r.kind,
                "typeDisplay": r.display,
                "period": r.period,
                "periodStart": date_str(r.start),
                "periodEnd": date_str(r.end),
                "status": r.status,
                "dueDate": date_str(r.due),
                "amount": r.amount,
                "currency": "EUR",
                "reportFile": if filed { Value::String(report_file_key(cid, &id)) } else { Value::Null },
                "submittedAt": if filed { Value::String(format!("{}T16:20:00Z", date_str(r.due))) } else { Value::Null },
                "transferTicket": if filed { Value::String(format!("et{}", &id[4..14])) } else { Value::Null },
                "createdAt": format!("{}T06:00:00Z", date_str(r.end)),
                "updatedAt": format!("{}T06:00:00Z", date_str(r.end)),
            }))
        })
        .collect();

    let tax_settings = seed
        .settings
        .iter()
        .enumerate()
        .map(|(n, s)| {
            obj(json!({
                "publicId": seeded_id("tset", cid, n),
                "company": cid,
                "taxType": s.tax_type,
                "vatType": s.vat_type,
                "vatPercent": s.vat_percent,
                "startTaxReportDate": date_str(s.start),
                "reportingFrequency": s.frequency,
                "updatedAt": "2025-11-03T10:00:00Z",
            }))
        })
        .collect();

    CompanyData {
        company: obj(seed.company),
        clients,
        invoices,
        transactions,
        attachments,
        tax_reports,
        tax_settings,
        has_subscription: seed.subscription,
        opening_balance: seed.opening_balance,
        invoice_prefix: seed.invoice_prefix.into(),
        quote_prefix: seed.quote_prefix.into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn company_record(
    user: &DemoUser,
    legal_form: &str,
    chart: (&str, &str),
    activity_start: &str,
    vat: &str,
    tax_number: &str,
    tax_state: &str,
    profession: &str,
    datev: (&str, &str),
    address: (&str, &str, &str),
    phone: &str,
    bank: (&str, &str, &str),
    plan: &str,
) -> Value {
    json!({
        "publicId": user.company_id,
        "name": user.company_name,
        "legalForm": legal_form,
        "accountType": "sme",
        "isSme": true,
        "chartOfAccounts": { "name": chart.0, "code": chart.1 },
        "activityStart": activity_start,
        "vatNumber": vat,
        "vatId": vat,
        "taxNumber": tax_number,
        "taxId": tax_number,
        "taxState": tax_state,
        "profession": profession,
        "datevAdvisorNumber": datev.0,
        "datevClientNumber": datev.1,
        "address": address.0,
        "zipCode": address.1,
        "city": address.2,
        "country": "DE",
        "countryName": country_name("DE"),
        "phoneNumber": phone,
        "email": user.email,
        "bankName": bank.0,
        "iban": bank.1,
        "bic": bank.2,
        "currency": "EUR",
        "subscription": { "plan": plan, "active": plan != "free" },
        "createdAt": "2025-11-03T09:58:00Z",
        "updatedAt": "2025-11-03T09:58:00Z",
    })
}

fn muster_design(user: &DemoUser) -> CompanySeed {
    CompanySeed {
        company: company_record(
            user,
            "gmbh",
            ("SKR 04", "skr04"),
            "2021-03-01",
            "DE312456789",
            "37/123/45678",
            "BE",
            "Grafikdesign und Webentwicklung",
            ("1234567", "10001"),
            ("Torstraße 118", "10119", "Berlin"),
            "+49 30 12345678",
            ("Berliner Sparkasse", "DE89370400440532013000", "BELADEBEXXX"),
            "business",
        ),
        subscription: true,
        opening_balance: 12_500.0,
        invoice_prefix: "RE",
        quote_prefix: "AN",
        clients: &[
            ClientSeed {
                name: "Bäckerei Sonnenschein GmbH",
                kind: "business",
                email: "buchhaltung@baeckerei-sonnenschein.de",
                phone: "+49 40 5556677",
                vat: "DE287654321",
                address: "Osterstraße 12",
                zip: "20259",
                city: "Hamburg",
                country: "DE",
            },
            ClientSeed {
                name: "Kanzlei Weber & Partner",
                kind: "business",
                email: "office@weber-partner.de",
                phone: "+49 221 998877",
                vat: "DE276543210",
                address: "Hohenzollernring 55",
                zip: "50672",
                city: "Köln",
                country: "DE",
            },
            ClientSeed {
                name: "Anna Schmidt",
                kind: "private",
                email: "anna.schmidt@example.de",
                phone: "",
                vat: "",
                address: "Kastanienallee 7",
                zip: "10435",
                city: "Berlin",
                country: "DE",
            },
            ClientSeed {
                name: "Nordlicht Media AB",
                kind: "business",
                email: "invoices@nordlichtmedia.se",
                phone: "+46 8 123 456",
                vat: "SE556677889901",
                address: "Götgatan 22",
                zip: "11621",
                city: "Stockholm",
                country: "SE",
            },
        ],
        transactions: &[
            TxSeed {
                date: date!(2026 - 01 - 03),
                amount: -1_200.0,
                description: "Miete Büro Januar 2026",
                counterparty: "Immobilien Krause KG",
                category: "Miete",
                vat: Some(19),
                country: "DE",
                sale_type: "SERVICES",
                verified: true,
                payment: "BANK",
            },
            TxSeed {
                date: date!(2026 - 01 - 05),
                amount: -59.99,
                description: "Adobe Creative Cloud Abo",
                counterparty: "Adobe Systems Software Ireland Ltd",
                category: "Aufwendungen für Software",
                vat: Some(19),
                country: "INSIDE_EU",
                sale_type: "SERVICES",
                verified: true,
                payment: "BANK",
            },
            TxSeed {
                date: date!(2026 - 02 - 03),
                amount: -1_200.0,
                description: "Miete Büro Februar 2026",
                counterparty: "Immobilien Krause KG",
                category: "Miete",
                vat: Some(19),
                country: "DE",
                sale_type: "SERVICES",
                verified: true,
                payment: "BANK",
            },
            TxSeed {
                date: date!(2026 - 02 - 10),
                amount: 2_856.0,
                description: "Zahlung RE-2026-0001 Bäckerei Sonnenschein",
                counterparty: "Bäckerei Sonnenschein GmbH",
                category: "Erlöse 19 % USt",
                vat: Some(19),
                country: "DE",
                sale_type: "SERVICES",
                verified: true,
                payment: "BANK",
            },
            TxSeed {
                date: date!(2026 - 02 - 12),
                amount: -89.90,
                description: "Deutsche Bahn Ticket Berlin-Hamburg",
                counterparty: "DB Fernverkehr AG",
                category: "Reisekosten",
                vat: Some(7),
                country: "DE",
                sale_type: "SERVICES",
                verified: false,
                payment: "BANK",
            },
            TxSeed {
                date: date!(2026 - 03 - 15),
                amount: -1_899.0,
                description: "MacBook Pro 14 Zoll",
                counterparty: "Apple Distribution International",
                category: "Büroeinrichtung",
                vat: Some(19),
                country: "INSIDE_EU",
                sale_type: "GOODS",
                verified: false,
                payment: "BANK",
            },
            TxSeed {
                date: date!(2026 - 04 - 10),
                amount: -1_024.50,
                description: "Finanzamt Umsatzsteuer Q1/2026",
                counterparty: "Finanzamt Berlin Mitte/Tiergarten",
                category: "Umsatzsteuer-Vorauszahlungen",
                vat: None,
                country: "DE",
                sale_type: "",
                verified: true,
                payment: "BANK",
            },
            TxSeed {
                date: date!(2026 - 04 - 28),
                amount: -45.0,
                description: "Telekom Mobilfunk April",
                counterparty: "Telekom Deutschland GmbH",
                category: "Telefon und Internet",
                vat: Some(19),
                country: "DE",
                sale_type: "SERVICES",
                verified: false,
                payment: "BANK",
            },
            TxSeed {
                date: date!(2026 - 05 - 06),
                amount: -23.80,
                description: "Büromaterial Staples",
                counterparty: "Staples Deutschland",
                category: "Bürobedarf",
                vat: Some(19),
                country: "DE",
                sale_type: "GOODS",
                verified: false,
                payment: "CASH",
            },
            TxSeed {
                date: date!(2026 - 06 - 01),
                amount: 1_800.0,
                description: "Nordlicht Media AB payment",
                counterparty: "Nordlicht Media AB",
                category: "Erlöse sonstige Leistungen EU (Reverse Charge)",
                vat: Some(0),
                country: "INSIDE_EU",
                sale_type: "SERVICES",
                verified: false,
                payment: "BANK",
            },
        ],
        invoices: &[
            InvoiceSeed {
                client: 0,
                kind: "invoice",
                status: "paid",
                issued: date!(2026 - 01 - 15),
                invoice_type: "SERVICES",
                language: "de",
                items: || json!([{"name": "Logo-Redesign inkl. Styleguide", "quantity": 1, "rate": 240000, "vatRate": 19}]),
                has_pdf: true,
                paid_by: Some(3),
            },
            InvoiceSeed {
                client: 1,
                kind: "invoice",
                status: "overdue",
                issued: date!(2026 - 03 - 02),
                invoice_type: "SERVICES",
                language: "de",
                items: || json!([{"name": "Website-Wartung Q1 (Monatspauschale)", "quantity": 3, "rate": 45000, "vatRate": 19}]),
                has_pdf: true,
                paid_by: None,
            },
            InvoiceSeed {
                client: 3,
                kind: "invoice",
                status: "sent",
                issued: date!(2026 - 05 - 20),
                invoice_type: "SERVICES",
                language: "en",
                items: || json!([{"name": "Illustration package (10 motifs)", "quantity": 10, "rate": 18000, "vatRate": 0}]),
                has_pdf: true,
                paid_by: None,
            },
            InvoiceSeed {
                client: 2,
                kind: "invoice",
                status: "draft",
                issued: date!(2026 - 06 - 18),
                invoice_type: "SERVICES",
                language: "de",
                items: || json!([{"name": "Gestaltung Hochzeitseinladungen", "quantity": 1, "rate": 35000, "vatRate": 19}, {"name": "Druckvorbereitung", "quantity": 2, "rate": 6500, "vatRate": 19}]),
                has_pdf: false,
                paid_by: None,
            },
            InvoiceSeed {
                client: 0,
                kind: "quote",
                status: "sent",
                issued: date!(2026 - 06 - 02),
                invoice_type: "SERVICES",
                language: "de",
                items: || json!([{"name": "Verpackungsdesign Brotbeutel", "quantity": 1, "rate": 320000, "vatRate": 19}]),
                has_pdf: true,
                paid_by: None,
            },
        ],
        attachments: &[
            AttachmentSeed {
                file_name: "adobe-creative-cloud-2026-01.pdf",
                kind: "receipt",
                tx: Some(1),
                amount: 59.99,
                vat_rate: 19,
                brand: "Adobe",
                description: "Creative Cloud Abo Januar",
                date: date!(2026 - 01 - 05),
                number: "IEIN2026-0113",
                country: "INSIDE_EU",
            },
            AttachmentSeed {
                file_name: "RE-2026-0001.pdf",
                kind: "invoice",
                tx: Some(3),
                amount: 2_856.0,
                vat_rate: 19,
                brand: "Muster Design GmbH",
                description: "Ausgangsrechnung Logo-Redesign",
                date: date!(2026 - 01 - 15),
                number: "RE-2026-0001",
                country: "DE",
            },
            AttachmentSeed {
                file_name: "apple-macbook-rechnung.png",
                kind: "invoice",
                tx: Some(5),
                amount: 1_899.0,
                vat_rate: 19,
                brand: "Apple",
                description: "MacBook Pro Rechnung (Foto)",
                date: date!(2026 - 03 - 15),
                number: "MA51234567",
                country: "INSIDE_EU",
            },
            AttachmentSeed {
                file_name: "mietvertrag-buero-torstrasse.pdf",
                kind: "contract",
                tx: None,
                amount: 1_200.0,
                vat_rate: 19,
                brand: "Immobilien Krause KG",
                description: "Gewerbemietvertrag Büro",
                date: date!(2025 - 12 - 01),
                number: "",
                country: "DE",
            },
        ],
        reports: &[
            ReportSeed {
                kind: "sales",
                display: "Umsatzsteuer-Voranmeldung",
                period: "2026-Q1",
                start: date!(2026 - 01 - 01),
                end: date!(2026 - 03 - 31),
                status: "submitted",
                due: date!(2026 - 04 - 10),
                amount: 1_024.50,
            },
            ReportSeed {
                kind: "sales",
                display: "Umsatzsteuer-Voranmeldung",
                period: "2026-Q2",
                start: date!(2026 - 04 - 01),
                end: date!(2026 - 06 - 30),
                status: "draft",
                due: date!(2026 - 07 - 10),
                amount: 1_318.22,
            },
            ReportSeed {
                kind: "profit_loss",
                display: "Körperschaftsteuererklärung",
                period: "2025",
                start: date!(2025 - 01 - 01),
                end: date!(2025 - 12 - 31),
                status: "pending",
                due: date!(2026 - 07 - 31),
                amount: 4_820.0,
            },
            ReportSeed {
                kind: "trade",
                display: "Gewerbesteuererklärung",
                period: "2025",
                start: date!(2025 - 01 - 01),
                end: date!(2025 - 12 - 31),
                status: "draft",
                due: date!(2026 - 07 - 31),
                amount: 3_115.0,
            },
        ],
        settings: &[
            SettingSeed {
                tax_type: "sales",
                vat_type: Some("vat_subject"),
                vat_percent: 19.0,
                start: date!(2021 - 03 - 01),
                frequency: "quarterly",
            },
            SettingSeed {
                tax_type: "trade",
                vat_type: None,
                vat_percent: 0.0,
                start: date!(2021 - 03 - 01),
                frequency: "yearly",
            },
            SettingSeed {
                tax_type: "profit_loss",
                vat_type: None,
                vat_percent: 0.0,
                start: date!(2021 - 03 - 01),
                frequency: "yearly",
            },
        ],
    }
}

fn zweite_werkstatt(user: &DemoUser) -> CompanySeed {
    CompanySeed {
        company: company_record(
            user,
            "ug",
            ("SKR 03", "skr03"),
            "2025-09-15",
            "DE298765432",
            "143/234/56789",
            "BY",
            "Möbeltischlerei",
            ("7654321", "20417"),
            ("Lindwurmstraße 45", "80337", "München"),
            "+49 89 7654321",
            ("Stadtsparkasse München", "DE02700202700010108669", "SSKMDEMMXXX"),
            "free",
        ),
        subscription: false,
        opening_balance: 4_200.0,
        invoice_prefix: "WR",
        quote_prefix: "WA",
        clients: &[
            ClientSeed {
                name: "Hotel Alpenblick GmbH",
                kind: "business",
                email: "einkauf@hotel-alpenblick.de",
                phone: "+49 8821 12345",
                vat: "DE265432109",
                address: "Zugspitzstraße 3",
                zip: "82467",
                city: "Garmisch-Partenkirchen",
                country: "DE",
            },
            ClientSeed {
                name: "Familie Huber",
                kind: "private",
                email: "huber.familie@example.de",
                phone: "+49 171 2345678",
                vat: "",
                address: "Ickstattstraße 9",
                zip: "80469",
                city: "München",
                country: "DE",
            },
            ClientSeed {
                name: "Studio Wien OG",
                kind: "business",
                email: "office@studiowien.at",
                phone: "+43 1 5551234",
                vat: "ATU12345678",
                address: "Mariahilfer Straße 88",
                zip: "1070",
                city: "Wien",
                country: "AT",
            },
        ],
        transactions: &[
            TxSeed {
                date: date!(2026 - 01 - 02),
                amount: -850.0,
                description: "Werkstattmiete Januar 2026",
                counterparty: "Hofbauer Grundbesitz GbR",
                category: "Miete",
                vat: Some(0),
                country: "DE",
                sale_type: "SERVICES",
                verified: true,
                payment: "BANK",
            },
            TxSeed {
                date: date!(2026 - 01 - 12),
                amount: -2_340.0,
                description: "Holzhandel Bayern Eichenbohlen",
                counterparty: "Holzhandel Bayern GmbH",
                category: "Wareneingang 19 % Vorsteuer",
                vat: Some(19),
                country: "DE",
                sale_type: "GOODS",
                verified: true,
                payment: "BANK",
            },
            TxSeed {
                date: date!(2026 - 02 - 20),
                amount: 10_353.0,
                description: "Hotel Alpenblick Zahlung WR-2026-0001",
                counterparty: "Hotel Alpenblick GmbH",
                category: "Erlöse 19 % USt",
                vat: Some(19),
                country: "DE",
                sale_type: "GOODS",
                verified: true,
                payment: "BANK",
            },
            TxSeed {
                date: date!(2026 - 03 - 09),
                amount: -312.45,
                description: "Festool Schleifpapier und Zubehör",
                counterparty: "Festool GmbH",
                category: "Wareneingang 19 % Vorsteuer",
                vat: Some(19),
                country: "DE",
                sale_type: "GOODS",
                verified: false,
                payment: "BANK",
            },
            TxSeed {
                date: date!(2026 - 03 - 31),
                amount: -129.0,
                description: "Betriebshaftpflichtversicherung Q2",
                counterparty: "Bayerische Versicherungskammer",
                category: "Versicherungen",
                vat: Some(0),
                country: "DE",
                sale_type: "SERVICES",
                verified: false,
                payment: "BANK",
            },
            TxSeed {
                date: date!(2026 - 04 - 14),
                amount: -64.20,
                description: "Tankstelle Aral Transporter",
                counterparty: "Aral AG",
                category: "Laufende Kfz-Betriebskosten",
                vat: Some(19),
                country: "DE",
                sale_type: "GOODS",
                verified: false,
                payment: "CASH",
            },
            TxSeed {
                date: date!(2026 - 05 - 05),
                amount: 500.0,
                description: "Anzahlung Familie Huber Einbauschrank",
                counterparty: "Familie Huber",
                category: "Erhaltene Anzahlungen",
                vat: Some(19),
                country: "DE",
                sale_type: "GOODS",
                verified: false,
                payment: "BANK",
            },
            TxSeed {
                date: date!(2026 - 05 - 28),
                amount: -49.0,
                description: "Vodafone Festnetz und Internet",
                counterparty: "Vodafone GmbH",
                category: "Telefon und Internet",
                vat: Some(19),
                country: "DE",
                sale_type: "SERVICES",
                verified: false,
                payment: "BANK",
            },
        ],
        invoices: &[
            InvoiceSeed {
                client: 0,
                kind: "invoice",
                status: "paid",
                issued: date!(2026 - 02 - 02),
                invoice_type: "GOODS",
                language: "de",
                items: || json!([{"name": "Esstisch Eiche massiv 220 cm", "quantity": 6, "rate": 145000, "vatRate": 19}]),
                has_pdf: true,
                paid_by: Some(2),
            },
            InvoiceSeed {
                client: 1,
                kind: "invoice",
                status: "sent",
                issued: date!(2026 - 06 - 10),
                invoice_type: "GOODS",
                language: "de",
                items: || json!([{"name": "Einbauschrank nach Maß", "quantity": 1, "rate": 480000, "vatRate": 19}]),
                has_pdf: true,
                paid_by: None,
            },
            InvoiceSeed {
                client: 2,
                kind: "invoice",
                status: "overdue",
                issued: date!(2026 - 04 - 01),
                invoice_type: "GOODS",
                language: "de",
                items: || json!([{"name": "Prototyp Stuhl Nussbaum", "quantity": 2, "rate": 65000, "vatRate": 0}]),
                has_pdf: true,
                paid_by: None,
            },
            InvoiceSeed {
                client: 1,
                kind: "quote",
                status: "draft",
                issued: date!(2026 - 06 - 20),
                invoice_type: "GOODS",
                language: "de",
                items: || json!([{"name": "Küchenfronten Eiche geölt", "quantity": 1, "rate": 790000, "vatRate": 19}]),
                has_pdf: false,
                paid_by: None,
            },
        ],
        attachments: &[
            AttachmentSeed {
                file_name: "holzhandel-bayern-4711.pdf",
                kind: "invoice",
                tx: Some(1),
                amount: 2_340.0,
                vat_rate: 19,
                brand: "Holzhandel Bayern",
                description: "Eichenbohlen 40 mm",
                date: date!(2026 - 01 - 12),
                number: "HB-4711",
                country: "DE",
            },
            AttachmentSeed {
                file_name: "festool-beleg.png",
                kind: "receipt",
                tx: Some(3),
                amount: 312.45,
                vat_rate: 19,
                brand: "Festool",
                description: "Schleifmittel",
                date: date!(2026 - 03 - 09),
                number: "FT-2026-0309",
                country: "DE",
            },
            AttachmentSeed {
                file_name: "aral-tankbeleg.png",
                kind: "receipt",
                tx: None,
                amount: 64.20,
                vat_rate: 19,
                brand: "Aral",
                description: "Tankbeleg Transporter",
                date: date!(2026 - 04 - 14),
                number: "",
                country: "DE",
            },
        ],
        reports: &[
            ReportSeed {
                kind: "sales",
                display: "Umsatzsteuer-Voranmeldung",
                period: "2026-04",
                start: date!(2026 - 04 - 01),
                end: date!(2026 - 04 - 30),
                status: "submitted",
                due: date!(2026 - 05 - 11),
                amount: 412.30,
            },
            ReportSeed {
                kind: "sales",
                display: "Umsatzsteuer-Voranmeldung",
                period: "2026-05",
                start: date!(2026 - 05 - 01),
                end: date!(2026 - 05 - 31),
                status: "pending",
                due: date!(2026 - 06 - 10),
                amount: 96.10,
            },
            ReportSeed {
                kind: "sales",
                display: "Umsatzsteuer-Voranmeldung",
                period: "2026-06",
                start: date!(2026 - 06 - 01),
                end: date!(2026 - 06 - 30),
                status: "draft",
                due: date!(2026 - 07 - 10),
                amount: 733.85,
            },
            ReportSeed {
                kind: "trade",
                display: "Gewerbesteuererklärung",
                period: "2025",
                start: date!(2025 - 09 - 15),
                end: date!(2025 - 12 - 31),
                status: "draft",
                due: date!(2026 - 07 - 31),
                amount: 0.0,
            },
        ],
        settings: &[
            SettingSeed {
                tax_type: "sales",
                vat_type: Some("vat_subject"),
                vat_percent: 19.0,
                start: date!(2025 - 09 - 15),
                frequency: "monthly",
            },
            SettingSeed {
                tax_type: "trade",
                vat_type: None,
                vat_percent: 0.0,
                start: date!(2025 - 09 - 15),
                frequency: "yearly",
            },
        ],
    }
}
