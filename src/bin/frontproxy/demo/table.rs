//! The table the demo prints: one [`Row`] per request (or refused connection), cells of several
//! lines, long text wrapped or truncated to the column widths.

/// One line of the table: one request (or one refused connection).
pub(super) struct Row {
    pub(super) scenario_key: char,
    pub(super) scenario: String,
    pub(super) certificate: Vec<String>,
    pub(super) headers: Vec<String>,
    pub(super) http: String,
    pub(super) outcome: Vec<String>,
    pub(super) ok: bool,
    pub(super) problem: Option<String>,
}

impl Row {
    pub(super) fn cells(&self) -> Vec<Vec<String>> {
        let mut verdict = vec![if self.ok {
            "yes".to_string()
        } else {
            "NO".to_string()
        }];
        if let Some(p) = &self.problem {
            verdict.push(p.clone());
        }
        vec![
            wrap(&self.scenario, SCENARIO_WIDTH),
            self.certificate.clone(),
            if self.headers.is_empty() {
                vec!["(none)".into()]
            } else {
                self.headers.clone()
            },
            vec![self.http.clone()],
            self.outcome.clone(),
            verdict,
        ]
    }
}

/// Width of the outcome and scenario columns of the table (longer lines are wrapped).
pub(super) const OUTCOME_WIDTH: usize = 46;
const SCENARIO_WIDTH: usize = 26;

/// Splits `text` into lines of at most `width` characters at spaces (a longer word stays whole).
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
            current.push_str("  ");
        } else if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    lines.push(current);
    lines
}

pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 3).collect();
        t.push_str("...");
        t
    }
}

/// Prints an aligned table whose cells may have several lines.
pub(super) fn print_table(titles: &[&str], rows: &[Vec<Vec<String>>]) {
    let columns = titles.len();
    let mut widths: Vec<usize> = titles.iter().map(|t| t.chars().count()).collect();
    for row in rows {
        for (c, cell) in row.iter().enumerate().take(columns) {
            for line in cell {
                widths[c] = widths[c].max(line.chars().count());
            }
        }
    }
    let rule = widths
        .iter()
        .map(|w| "-".repeat(w + 2))
        .collect::<Vec<_>>()
        .join("+");
    let line = |cells: &[&str]| {
        let text = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!(" {c:<w$} "))
            .collect::<Vec<_>>()
            .join("|");
        println!("{}", text.trim_end());
    };
    line(titles);
    println!("{rule}");
    for row in rows {
        let height = row.iter().map(Vec::len).max().unwrap_or(1).max(1);
        for i in 0..height {
            let cells: Vec<&str> = (0..columns)
                .map(|c| {
                    row.get(c)
                        .and_then(|cell| cell.get(i))
                        .map_or("", String::as_str)
                })
                .collect();
            line(&cells);
        }
        println!("{rule}");
    }
}
