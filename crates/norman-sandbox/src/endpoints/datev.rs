//! `companies/{cid}/accounting/datev-export/`: the hand-over to a tax advisor in DATEV's
//! format. The real API builds a ZIP in the background; the sandbox builds the booking batch
//! (an EXTF "Buchungsstapel" CSV) at once and answers with the finished job and a presigned
//! link to it.

use std::fmt::Write as _;

use axum::body::Bytes;
use serde_json::{Map, Value, json};
use time::{Date, OffsetDateTime};

use super::files::presign;
use crate::blobs::FileBlob;
use crate::caller::Ctx;
use crate::drf::error::{ApiError, ApiResult, created};
use crate::drf::fields::{Fields, Kind, Spec, f, parse_date};
use crate::drf::request::RawBody;
use crate::reference::category_named;
use crate::store::{
    Collection::{Attachments, Transactions},
    CompanyData, Record, f64_of, in_range, new_id, now_rfc3339, str_of,
};

const SPECS: &[Spec] = &[
    f("dateFrom", Kind::Date, true),
    f("dateTo", Kind::Date, true),
    f("includeDocuments", Kind::Bool, false),
];

/// The bank account and the fallback accounts for uncategorised bookings, per chart.
struct Accounts {
    bank: &'static str,
    other_income: &'static str,
    other_expense: &'static str,
}

fn accounts(chart: &str) -> Accounts {
    if chart == "skr03" {
        Accounts { bank: "1200", other_income: "8200", other_expense: "4900" }
    } else {
        Accounts { bank: "1800", other_income: "4200", other_expense: "6300" }
    }
}

fn compact(date: Date) -> String {
    format!("{:04}{:02}{:02}", date.year(), u8::from(date.month()), date.day())
}

/// A DATEV text field: quoted, inner quotes doubled, at most `max` characters.
fn text(value: &str, max: usize) -> String {
    let cut: String = value.chars().take(max).collect();
    format!("\"{}\"", cut.replace('"', "\"\""))
}

/// The EXTF header, the column names and one booking per transaction: the amount on the bank
/// account against the account of its category.
fn booking_batch(data: &CompanyData, transactions: &[&Record], from: Date, to: Date) -> String {
    let chart = data.chart_code();
    let acc = accounts(chart);
    let created = OffsetDateTime::now_utc();
    let mut csv = String::new();
    let _ = writeln!(
        csv,
        "\"EXTF\";700;21;\"Buchungsstapel\";13;{}{:02}{:02}{:02}{:02}{:02}000;;\"NO\";\"\";\"\";{};{};{}0101;4;{};{};{};\"\";1;0;0;\"EUR\";;\"\";;;\"{}\";;;\"\";\"\"",
        created.year(),
        u8::from(created.month()),
        created.day(),
        created.hour(),
        created.minute(),
        created.second(),
        str_of(&data.company, "datevAdvisorNumber"),
        str_of(&data.company, "datevClientNumber"),
        from.year(),
        compact(from),
        compact(to),
        text(&format!("Norman {}", str_of(&data.company, "name")), 30),
        if chart == "skr03" { "03" } else { "04" },
    );
    csv.push_str("Umsatz (ohne Soll/Haben-Kz);Soll/Haben-Kennzeichen;WKZ Umsatz;Kurs;Basis-Umsatz;WKZ Basis-Umsatz;Konto;Gegenkonto (ohne BU-Schlüssel);BU-Schlüssel;Belegdatum;Belegfeld 1;Belegfeld 2;Skonto;Buchungstext\n");
    for t in transactions {
        let amount = f64_of(t, "amount");
        let category = category_named(str_of(t, "categoryName"));
        let contra = match category {
            Some(c) if chart == "skr03" => c.skr03.as_str(),
            Some(c) => c.skr04.as_str(),
            None if amount >= 0.0 => acc.other_income,
            None => acc.other_expense,
        };
        let date = parse_date(str_of(t, "valueDate"));
        let day = date.map(|d| format!("{:02}{:02}", d.day(), u8::from(d.month()))).unwrap_or_default();
        let _ = writeln!(
            csv,
            "{};\"{}\";\"EUR\";;;;{};{};\"\";{};{};\"\";;{}",
            format!("{:.2}", amount.abs()).replace('.', ","),
            if amount >= 0.0 { "S" } else { "H" },
            acc.bank,
            contra,
            day,
            text(str_of(t, "publicId"), 36),
            text(str_of(t, "description"), 60),
        );
    }
    csv
}

/// `POST` `{dateFrom, dateTo, includeDocuments = true}`: one fiscal (calendar) year at most, as
/// a DATEV booking batch may not span two; the company needs its DATEV advisor and client
/// numbers, which the batch header carries.
pub(crate) async fn export(ctx: Ctx, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut values = Map::new();
    let mut fields = Fields::new(&body);
    fields.apply(SPECS, &mut values, false);
    let date = |key: &str| values.get(key).and_then(Value::as_str).and_then(parse_date);
    let (from, to) = (date("dateFrom"), date("dateTo"));
    if let (Some(from), Some(to)) = (from, to) {
        if to < from {
            fields.error("dateTo", "The end of the period must not be before its start.");
        } else if to.year() != from.year() {
            fields.error(
                "dateTo",
                format!("A DATEV export covers one fiscal year; end the period in {}.", from.year()),
            );
        }
    }
    fields.finish()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(ApiError::field("dateFrom", "This field is required."));
    };
    let include_documents = values.get("includeDocuments").and_then(Value::as_bool).unwrap_or(true);
    let (csv, transaction_count, document_count, chart) = {
        let data = ctx.company().read();
        for key in ["datevAdvisorNumber", "datevClientNumber"] {
            if str_of(&data.company, key).is_empty() {
                return Err(ApiError::Body(
                    axum::http::StatusCode::BAD_REQUEST,
                    json!({ "non_field_errors": [format!("The company has no {key}; set it in the company details first.")] }),
                ));
            }
        }
        let booked: Vec<&Record> =
            data[Transactions].iter().filter(|t| in_range(t, "valueDate", Some(from), Some(to))).collect();
        let documents = if include_documents {
            data[Attachments]
                .iter()
                .filter(|a| match a.get("transactions") {
                    Some(Value::Array(list)) => list
                        .iter()
                        .filter_map(Value::as_str)
                        .any(|id| booked.iter().any(|t| str_of(t, "publicId") == id)),
                    _ => false,
                })
                .count()
        } else {
            0
        };
        (booking_batch(&data, &booked, from, to), booked.len(), documents, data.chart_code().to_owned())
    };
    let id = new_id("dtx");
    let file_name = format!("EXTF_Buchungsstapel_{}_{}.csv", compact(from), compact(to));
    let name = file_name.clone();
    let url = presign(&ctx, "datev-export", &id, move || FileBlob {
        content_type: "text/csv; charset=utf-8".into(),
        filename: name,
        data: Bytes::from(csv),
    });
    let now = now_rfc3339();
    Ok(created(&json!({
        "publicId": id,
        "status": "completed",
        "format": "DATEV EXTF 700 Buchungsstapel",
        "dateFrom": values.get("dateFrom"),
        "dateTo": values.get("dateTo"),
        "includeDocuments": include_documents,
        "chartOfAccounts": chart,
        "transactionCount": transaction_count,
        "documentCount": document_count,
        "fileName": file_name,
        "downloadUrl": url,
        "expiresIn": 3600,
        "createdAt": now,
        "completedAt": now,
        "companyId": ctx.company_id(),
    })))
}
