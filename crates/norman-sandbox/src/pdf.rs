//! Small real PDFs for the founding workflows' generated documents: A4 pages of plain text
//! in the standard Helvetica fonts, which every PDF reader has, so no font is embedded.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str, TextStr};

/// A line of a document.
pub(crate) enum Line {
    /// A bold line.
    Heading(String),
    /// A paragraph, wrapped to the page width.
    Text(String),
    /// Vertical space.
    Blank,
}

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const FONT_SIZE: f32 = 10.0;
const HEADING_SIZE: f32 = 12.0;
const LEADING: f32 = 14.0;
/// Characters per wrapped line: Helvetica at 10 pt averages about 5 pt a character, and the
/// text column is 483 pt wide.
const WRAP: usize = 92;
const LINES_PER_PAGE: usize = ((PAGE_HEIGHT - 2.0 * MARGIN) / LEADING) as usize;

const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// A PDF with `title` in its document information and `lines` on as many pages as they take.
pub(crate) fn render(title: &str, lines: &[Line]) -> Vec<u8> {
    let mut rows: Vec<(bool, String)> = Vec::new();
    for line in lines {
        match line {
            Line::Heading(text) => rows.push((true, text.clone())),
            Line::Text(text) => rows.extend(wrap(text, WRAP).into_iter().map(|row| (false, row))),
            Line::Blank => rows.push((false, String::new())),
        }
    }
    let pages: Vec<&[(bool, String)]> = rows.chunks(LINES_PER_PAGE).collect();
    let pages = if pages.is_empty() { vec![&rows[..]] } else { pages };

    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first_page = 6;
    let page_ref = |n: usize| Ref::new(first_page + 2 * i32::try_from(n).unwrap_or(0));
    let content_ref = |n: usize| Ref::new(first_page + 2 * i32::try_from(n).unwrap_or(0) + 1);

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids((0..pages.len()).map(page_ref)).count(i32::try_from(pages.len()).unwrap_or(1));
    pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info).title(TextStr(title)).producer(TextStr("Norman sandbox"));
    for (n, rows) in pages.iter().enumerate() {
        let mut page = pdf.page(page_ref(n));
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT)).parent(tree).contents(content_ref(n));
        page.resources().fonts().pair(REGULAR, regular).pair(BOLD, bold);
        drop(page);
        let mut content = Content::new();
        content.begin_text();
        content.set_leading(LEADING);
        content.next_line(MARGIN, PAGE_HEIGHT - MARGIN);
        for (heading, text) in rows.iter() {
            if *heading {
                content.set_font(BOLD, HEADING_SIZE);
            } else {
                content.set_font(REGULAR, FONT_SIZE);
            }
            content.show(Str(&win_ansi(text)));
            content.next_line_using_leading();
        }
        content.end_text();
        pdf.stream(content_ref(n), &content.finish());
    }
    pdf.finish()
}

/// Splits a paragraph at spaces into rows of at most `width` characters (longer words
/// stand alone).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in text.split_whitespace() {
        if !row.is_empty() && row.chars().count() + 1 + word.chars().count() > width {
            rows.push(std::mem::take(&mut row));
        }
        if !row.is_empty() {
            row.push(' ');
        }
        row.push_str(word);
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
}

/// The text in the standard fonts' WinAnsiEncoding: Latin-1 plus the typographic marks of
/// code page 1252; anything else becomes `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => u8::try_from(u32::from(c)).unwrap_or(b'?'),
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Checks what a reader relies on first: the header, the trailer, and that every entry
    /// of the cross-reference table points at the object it names.
    pub(crate) fn assert_well_formed(pdf: &[u8]) {
        // Offsets count bytes, and the header's binary marker is not UTF-8: search bytes.
        let find_last = |needle: &[u8]| pdf.windows(needle.len()).rposition(|w| w == needle);
        let number_at = |at: usize| -> usize {
            let digits: Vec<u8> = pdf[at..]
                .iter()
                .skip_while(|b| b.is_ascii_whitespace())
                .take_while(|b| b.is_ascii_digit())
                .copied()
                .collect();
            String::from_utf8(digits).ok().and_then(|d| d.parse().ok()).unwrap_or(usize::MAX)
        };
        assert!(pdf.starts_with(b"%PDF-"), "header");
        assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"), "trailer");
        let start_at = find_last(b"startxref").unwrap_or_else(|| panic!("no startxref"));
        let xref_at = number_at(start_at + 9);
        assert!(pdf.get(xref_at..).is_some_and(|t| t.starts_with(b"xref")), "startxref points at xref");
        let table = String::from_utf8_lossy(&pdf[xref_at..]);
        let mut rows = table.lines().skip(1);
        let header = rows.next().unwrap_or_default();
        let count: usize = header.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
        assert!(count > 5, "{header}");
        for (id, entry) in rows.take(count).enumerate().skip(1) {
            let offset: usize = entry.get(..10).and_then(|o| o.parse().ok()).unwrap_or(usize::MAX);
            let expected = format!("{id} 0 obj");
            assert!(
                pdf.get(offset..).is_some_and(|rest| rest.starts_with(expected.as_bytes())),
                "object {id}"
            );
        }
    }

    #[test]
    fn renders_a_well_formed_pdf_with_the_text() {
        let lines = vec![
            Line::Heading("Gesellschafterliste".into()),
            Line::Blank,
            Line::Text("Stammkapital: 25.000 € – Gründung „Müller & Söhne“".into()),
        ];
        let pdf = render("Gesellschafterliste", &lines);
        assert_well_formed(&pdf);
        assert!(pdf.len() < 4096, "small: {} bytes", pdf.len());
        let encoded = win_ansi("Stammkapital: 25.000 € – Gründung „Müller & Söhne“");
        assert!(encoded.contains(&0x80) && encoded.contains(&0xFC), "euro sign and ü");
        // Text beyond ASCII is written as a hex string.
        let hex: String = encoded.iter().map(|b| format!("{b:02X}")).collect();
        assert!(String::from_utf8_lossy(&pdf).contains(&format!("<{hex}>")), "the text, in WinAnsi");
        assert!(String::from_utf8_lossy(&pdf).contains("(Gesellschafterliste)"), "ASCII text as it is");
    }

    #[test]
    fn long_documents_wrap_and_break_into_pages() {
        assert_eq!(wrap("aaa bbb ccc", 7), ["aaa bbb", "ccc"]);
        assert_eq!(wrap("", 7), [""]);
        let lines: Vec<Line> = (0..120).map(|n| Line::Text(format!("Zeile {n}"))).collect();
        let pdf = render("lang", &lines);
        assert_well_formed(&pdf);
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 3"), "120 lines on 52-line pages");
    }
}
