//! The texts of the generated documents: drafts of the Musterprotokoll (after Anlage 1 to
//! the GmbHG) and the Gesellschafterliste (§ 40 GmbHG) of an incorporation, the trade-office
//! registration (GewA 1) and the tax office's transmission protocol.

use serde_json::Value;

use super::drafts::DocumentSpec;
use super::incorporation::shareholders;
use super::rules::{euro_text, euros_of, german_date};
use crate::founding_reference::{ChoiceList, TradeOffice, label, legal_form};
use crate::pdf::Line;
use crate::store::{Record, str_of};

const BLANK: &str = "__________";

/// A field's text, or a blank to fill in by hand.
fn or_blank(record: &Record, key: &str) -> String {
    let value = str_of(record, key).trim();
    if value.is_empty() { BLANK.to_owned() } else { value.to_owned() }
}

/// A shareholder as a deed names them: name, birth date and residence, or firm and seat.
fn person(holder: &Record) -> String {
    if str_of(holder, "shareholderType") == "legal_entity" {
        format!(
            "{}, Sitz {}, eingetragen im Handelsregister des {} unter {}",
            or_blank(holder, "entityName"),
            or_blank(holder, "entitySeat"),
            or_blank(holder, "entityRegisterCourt"),
            or_blank(holder, "entityRegisterNumber"),
        )
    } else {
        format!(
            "{} {}, geboren am {}, wohnhaft {} {}, {} {}",
            or_blank(holder, "firstName"),
            or_blank(holder, "lastName"),
            german_date(str_of(holder, "dob")),
            or_blank(holder, "street"),
            or_blank(holder, "houseNumber"),
            or_blank(holder, "postalCode"),
            or_blank(holder, "city"),
        )
    }
}

fn safe_file_part(name: &str) -> String {
    let part: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let part = part.split('-').filter(|s| !s.is_empty()).collect::<Vec<_>>().join("-");
    if part.is_empty() { "entwurf".to_owned() } else { part }
}

/// The Musterprotokoll (when it is the agreement) and the Gesellschafterliste.
pub(crate) fn incorporation_documents(record: &Record) -> Vec<DocumentSpec> {
    let holders: Vec<&Record> = shareholders(record).iter().filter_map(Value::as_object).collect();
    let name = or_blank(record, "companyName");
    let seat = or_blank(record, "registeredOfficeCity");
    let capital = euros_of(record, "shareCapital").unwrap_or(0);
    let file = safe_file_part(&name);
    let mut documents = Vec::new();

    if str_of(record, "agreementType") == "musterprotokoll" {
        let single = holders.len() == 1;
        let paid_in = legal_form(str_of(record, "legalForm")).map_or(100, |f| f.paid_in_percent);
        let mut lines = vec![
            Line::Heading(format!(
                "Musterprotokoll für die Gründung einer {}",
                if single {
                    "Einpersonengesellschaft"
                } else {
                    "Mehrpersonengesellschaft mit bis zu drei Gesellschaftern"
                }
            )),
            Line::Text("ENTWURF – zur Beurkundung durch den Notar (§ 2 Abs. 1a GmbHG)".into()),
            Line::Blank,
            Line::Text(format!("UR. Nr. {BLANK}")),
            Line::Text(format!(
                "Heute, den {BLANK}, erschienen vor mir, {BLANK}, Notar/in mit dem Amtssitz in {BLANK}:"
            )),
        ];
        lines
            .extend(holders.iter().enumerate().map(|(n, h)| Line::Text(format!("{}. {}", n + 1, person(h)))));
        lines.push(Line::Blank);
        lines.push(Line::Text(format!(
            "1. Die Erschienenen errichten hiermit nach § 2 Abs. 1a GmbHG eine Gesellschaft mit beschränkter Haftung unter der Firma {name} mit dem Sitz in {seat}."
        )));
        lines.push(Line::Text(format!(
            "2. Gegenstand des Unternehmens ist {}.",
            or_blank(record, "businessPurpose").trim_end_matches('.')
        )));
        lines.push(Line::Text(format!(
            "3. Das Stammkapital der Gesellschaft beträgt {} und wird wie folgt übernommen:",
            euro_text(capital)
        )));
        for (n, holder) in holders.iter().enumerate() {
            lines.push(Line::Text(format!(
                "   {} übernimmt einen Geschäftsanteil mit einem Nennbetrag in Höhe von {} (Geschäftsanteil Nr. {}).",
                display_name(holder),
                euro_text(euros_of(holder, "shareNominalAmount").unwrap_or(0)),
                n + 1
            )));
        }
        lines.push(Line::Text(if paid_in >= 100 {
            "   Die Einlagen sind in Geld zu erbringen, und zwar sofort in voller Höhe.".to_owned()
        } else {
            format!(
                "   Die Einlagen sind in Geld zu erbringen, und zwar zu {paid_in} % sofort, im Übrigen sobald die Gesellschafterversammlung ihre Einforderung beschließt."
            )
        }));
        if let Some(director) =
            holders.iter().find(|h| h.get("isManagingDirector").and_then(Value::as_bool) == Some(true))
        {
            lines.push(Line::Text(format!(
                "4. Zum Geschäftsführer der Gesellschaft wird {} bestellt. Der Geschäftsführer ist von den Beschränkungen des § 181 BGB befreit.",
                person(director)
            )));
        }
        lines.push(Line::Text(
            "5. Die Gesellschaft trägt die mit der Gründung verbundenen Kosten bis zu einem Gesamtbetrag von 300 €, höchstens jedoch bis zum Betrag ihres Stammkapitals. Darüber hinausgehende Kosten tragen die Gesellschafter im Verhältnis der Nennbeträge ihrer Geschäftsanteile.".into(),
        ));
        lines.push(Line::Text(
            "6. Von dieser Urkunde erhalten eine Ausfertigung jeder Gesellschafter, beglaubigte Ablichtungen die Gesellschaft und das Registergericht (in elektronischer Form) sowie eine einfache Abschrift das Finanzamt – Körperschaftsteuerstelle –.".into(),
        ));
        lines.push(Line::Text(format!(
            "7. Die Erschienenen wurden vom Notar insbesondere auf Folgendes hingewiesen: {BLANK}"
        )));
        documents.push(DocumentSpec {
            kind: "musterprotokoll",
            title: format!("Musterprotokoll {name}"),
            file_name: format!("musterprotokoll-{file}.pdf"),
            lines,
        });
    }

    let mut lines = vec![
        Line::Heading(format!("Liste der Gesellschafter der {name}")),
        Line::Text(format!("Sitz: {seat} – Registergericht und Nummer werden nach der Eintragung ergänzt.")),
        Line::Text(format!("Stammkapital: {}", euro_text(capital))),
        Line::Blank,
        Line::Text("Lfd. Nr. | Gesellschafter | Nennbetrag | Anteil am Stammkapital".into()),
    ];
    for (n, holder) in holders.iter().enumerate() {
        let amount = euros_of(holder, "shareNominalAmount").unwrap_or(0);
        let share = if capital > 0 { amount as f64 * 100.0 / capital as f64 } else { 0.0 };
        lines.push(Line::Text(format!(
            "{} | {} | {} | {:.2} %",
            n + 1,
            person(holder),
            euro_text(amount),
            share
        )));
    }
    let sum: i64 = holders.iter().filter_map(|h| euros_of(h, "shareNominalAmount")).sum();
    lines.push(Line::Blank);
    lines.push(Line::Text(format!("Summe der Nennbeträge: {}", euro_text(sum))));
    lines.push(Line::Blank);
    lines.push(Line::Text(format!("{seat}, den {BLANK}")));
    lines.push(Line::Text(format!("Unterschrift der Geschäftsführung: {BLANK}")));
    documents.push(DocumentSpec {
        kind: "gesellschafterliste",
        title: format!("Gesellschafterliste {name}"),
        file_name: format!("gesellschafterliste-{file}.pdf"),
        lines,
    });
    documents
}

fn display_name(holder: &Record) -> String {
    if str_of(holder, "shareholderType") == "legal_entity" {
        or_blank(holder, "entityName")
    } else {
        format!("{} {}", or_blank(holder, "firstName"), or_blank(holder, "lastName"))
    }
}

fn yes_no(record: &Record, key: &str) -> &'static str {
    match record.get(key).and_then(Value::as_bool) {
        Some(true) => "ja",
        Some(false) => "nein",
        None => BLANK,
    }
}

/// The trade-office registration, form GewA 1, filled in.
pub(crate) fn gewerbe_document(record: &Record, office: Option<&TradeOffice>) -> DocumentSpec {
    let choice = |list, key| {
        let value = str_of(record, key);
        if value.is_empty() { BLANK.to_owned() } else { label(list, value) }
    };
    let business_types = record
        .get("businessType")
        .and_then(Value::as_array)
        .map(|types| {
            types
                .iter()
                .filter_map(Value::as_str)
                .map(|t| label(ChoiceList::BusinessTypes, t))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let residence = if record.get("ownerAddressSameAsBusiness").and_then(Value::as_bool) == Some(true) {
        "wie Betriebsstätte".to_owned()
    } else {
        format!(
            "{} {}, {} {}",
            or_blank(record, "ownerResidenceStreet"),
            or_blank(record, "ownerResidenceHouseNumber"),
            or_blank(record, "ownerResidencePostalCode"),
            or_blank(record, "ownerResidenceCity")
        )
    };
    let name = or_blank(record, "registeredName");
    let owner_name = format!("{} {}", or_blank(record, "ownerFirstNames"), or_blank(record, "ownerLastName"));
    let authority = office.map_or_else(|| BLANK.to_owned(), |o| format!("{}, {}", o.name, o.department));
    let lines = vec![
        Line::Heading("Gewerbe-Anmeldung nach § 14 GewO oder § 55c GewO (GewA 1)".into()),
        Line::Text(format!("ENTWURF – einzureichen bei: {authority}")),
        Line::Blank,
        Line::Heading("Angaben zum Betriebsinhaber".into()),
        Line::Text(format!("Rechtsform: {}", choice(ChoiceList::GewerbeLegalForms, "legalForm"))),
        Line::Text(format!("Im Handelsregister eingetragener Name: {name}")),
        Line::Text(format!("Registernummer: {}", or_blank(record, "commercialRegisterNumber"))),
        Line::Text(format!(
            "Gesetzliche/r Vertreter/in: {owner_name} (Geburtsname: {})",
            or_blank(record, "ownerBirthName")
        )),
        Line::Text(format!(
            "Geschlecht: {} – Geburtsdatum: {} – Geburtsort: {} ({}) – Staatsangehörigkeit: {}",
            choice(ChoiceList::Genders, "ownerGender"),
            german_date(str_of(record, "ownerDob")),
            or_blank(record, "ownerPlaceOfBirth"),
            or_blank(record, "ownerCountryOfBirth"),
            or_blank(record, "ownerNationality"),
        )),
        Line::Text(format!("Anschrift der Wohnung: {residence}")),
        Line::Text(format!(
            "Telefon: {} – E-Mail: {}",
            or_blank(record, "ownerPhone"),
            or_blank(record, "ownerEmail")
        )),
        Line::Blank,
        Line::Heading("Angaben zum Betrieb".into()),
        Line::Text(format!(
            "Betriebsstätte: {} {}, {} {}",
            or_blank(record, "businessStreet"),
            or_blank(record, "businessHouseNumber"),
            or_blank(record, "businessPostalCode"),
            or_blank(record, "businessCity")
        )),
        Line::Text(format!(
            "Telefon: {} – E-Mail: {}",
            or_blank(record, "businessPhone"),
            or_blank(record, "businessEmail")
        )),
        Line::Text(format!("Angemeldete Tätigkeit: {}", or_blank(record, "activityDescription"))),
        Line::Text(format!("Beginn der Tätigkeit: {}", german_date(str_of(record, "activityStartDate")))),
        Line::Text(format!(
            "Art des Betriebes: {}",
            if business_types.is_empty() { BLANK.to_owned() } else { business_types }
        )),
        Line::Text(format!(
            "Die Anmeldung betrifft: {} – ausgeübt im {}",
            choice(ChoiceList::EstablishmentTypes, "establishmentType"),
            choice(ChoiceList::ActivityTypes, "activityType")
        )),
        Line::Text(format!(
            "Erlaubnis erforderlich: {} – Behörde: {} – erteilt am: {}",
            yes_no(record, "licenseRequired"),
            or_blank(record, "licenseAuthority"),
            german_date(str_of(record, "licenseIssueDate"))
        )),
        Line::Text(format!(
            "Beschäftigte: {} – Vollzeit: {} – Teilzeit: {}",
            yes_no(record, "hasEmployees"),
            record.get("employeesFullTime").and_then(Value::as_u64).unwrap_or(0),
            record.get("employeesPartTime").and_then(Value::as_u64).unwrap_or(0)
        )),
        Line::Text(format!(
            "Beteiligung der öffentlichen Hand: {}",
            yes_no(record, "publicSectorParticipation")
        )),
        Line::Blank,
        Line::Text(format!("Ort, Datum: {BLANK}    Unterschrift: {BLANK}")),
    ];
    DocumentSpec {
        kind: "gewa1",
        title: format!("Gewerbeanmeldung {name}"),
        file_name: format!("gewerbeanmeldung-{}.pdf", safe_file_part(&name)),
        lines,
    }
}

/// The tax office's transmission protocol of a submitted questionnaire.
pub(crate) fn transmission_protocol(record: &Record, ticket: &str, submitted_at: &str) -> DocumentSpec {
    let name = or_blank(record, "companyName");
    let lines = vec![
        Line::Heading("Übermittlungsprotokoll".into()),
        Line::Text("Fragebogen zur steuerlichen Erfassung – Gründung einer Kapitalgesellschaft".into()),
        Line::Blank,
        Line::Text(format!("Transferticket: {ticket}")),
        Line::Text(format!("Übermittelt am: {submitted_at}")),
        Line::Text(format!("Finanzamt (Bundesfinanzamtsnummer): {}", or_blank(record, "taxOffice"))),
        Line::Text(format!("Gesellschaft: {name}, Sitz {}", or_blank(record, "seatCity"))),
        Line::Text(format!(
            "Rechtsform: {}",
            label(ChoiceList::CorporateLegalForms, str_of(record, "legalForm"))
        )),
        Line::Text(format!("Stammkapital: {}", euro_text(euros_of(record, "shareCapital").unwrap_or(0)))),
        Line::Text(format!("Beginn der Tätigkeit: {}", german_date(str_of(record, "businessStartDate")))),
    ];
    DocumentSpec {
        kind: "transmission_protocol",
        title: format!("Übermittlungsprotokoll {name}"),
        file_name: format!("uebermittlungsprotokoll-{}.pdf", safe_file_part(&name)),
        lines,
    }
}
