//! Indented heredocs (`<<-EOT`) the way Terraform reads them.
//!
//! Terraform splits a heredoc into one literal token per line, applies the strip markers
//! (`%{~`, `~}`) to the tokens next to them, and only then removes the common indentation
//! of the lines, where a line counts as starting only after a literal that still ends in a
//! newline. hcl-edit removes indentation at parse time, before strip markers and without
//! looking into directives, so its result differs whenever `~` meets indentation. This pass
//! recomputes every literal of such a heredoc from the raw source text and then clears the
//! strip markers, so evaluation needs nothing special.

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::template::{Directive, Element, HeredocTemplate, Strip, Template};
use hcl_edit::visit_mut::{VisitMut, visit_expr_mut};

/// Rewrites the `<<-` heredocs of a parsed file; `source` is the file's text.
pub fn normalize_flush_heredocs(body: &mut hcl_edit::structure::Body, source: &str) {
    let mut v = HeredocVisitor { source };
    v.visit_body_mut(body);
}

struct HeredocVisitor<'a> {
    source: &'a str,
}

impl VisitMut for HeredocVisitor<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expression) {
        if let Expression::HeredocTemplate(h) = expr
            && h.indent().is_some()
        {
            flush(h, self.source);
        }
        visit_expr_mut(self, expr);
    }
}

/// One token of the flat stream: a line-sized piece of a literal, or a template sequence.
enum Token {
    /// `(literal index, text)`.
    Lit(usize, String),
    Seq {
        strip_start: bool,
        strip_end: bool,
    },
}

/// Literal texts from source (escapes undone), in order, or `None` if a span is missing.
fn raw_literals(t: &Template, source: &str, out: &mut Vec<String>) -> Option<()> {
    for el in t.iter() {
        match el {
            Element::Literal(lit) => {
                let raw = source.get(lit.span()?)?;
                out.push(raw.replace("$${", "${").replace("%%{", "%{"));
            }
            Element::Interpolation(_) => {}
            Element::Directive(d) => match d.as_ref() {
                Directive::If(i) => {
                    raw_literals(&i.if_expr.template, source, out)?;
                    if let Some(e) = &i.else_expr {
                        raw_literals(&e.template, source, out)?;
                    }
                }
                Directive::For(f) => raw_literals(&f.for_expr.template, source, out)?,
            },
        }
    }
    Some(())
}

/// The flat token stream, literals split after each newline.
fn tokens(t: &Template, raw: &[String], next: &mut usize, out: &mut Vec<Token>) {
    for el in t.iter() {
        match el {
            Element::Literal(_) => {
                let i = *next;
                *next += 1;
                let text = raw.get(i).map(String::as_str).unwrap_or_default();
                for chunk in text.split_inclusive('\n') {
                    out.push(Token::Lit(i, chunk.to_string()));
                }
            }
            Element::Interpolation(ip) => out.push(seq(ip.strip)),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(i) => {
                    out.push(seq(i.if_expr.strip));
                    tokens(&i.if_expr.template, raw, next, out);
                    if let Some(e) = &i.else_expr {
                        out.push(seq(e.strip));
                        tokens(&e.template, raw, next, out);
                    }
                    out.push(seq(i.endif_expr.strip));
                }
                Directive::For(f) => {
                    out.push(seq(f.for_expr.strip));
                    tokens(&f.for_expr.template, raw, next, out);
                    out.push(seq(f.endfor_expr.strip));
                }
            },
        }
    }
}

fn seq(s: Strip) -> Token {
    Token::Seq { strip_start: s.strip_start(), strip_end: s.strip_end() }
}

/// Applies strip markers to neighbouring literal tokens, then removes the common
/// indentation of line-starting tokens.
fn settle(tokens: &mut [Token]) {
    for i in 0..tokens.len() {
        if let Token::Seq { strip_start, strip_end } = tokens[i] {
            if strip_start
                && i > 0
                && let Token::Lit(_, text) = &mut tokens[i - 1]
            {
                *text = text.trim_end().to_string();
            }
            if strip_end && let Some(Token::Lit(_, text)) = tokens.get_mut(i + 1) {
                *text = text.trim_start().to_string();
            }
        }
    }
    let mut min = usize::MAX;
    let mut adjust = Vec::new();
    let mut line_start = true;
    for (i, t) in tokens.iter().enumerate() {
        if line_start {
            line_start = false;
            match t {
                Token::Lit(_, text) => {
                    let trimmed = text.trim_start();
                    if !(trimmed.is_empty() && text.ends_with('\n')) {
                        min = min.min(text.chars().count() - trimmed.chars().count());
                        adjust.push(i);
                    }
                }
                Token::Seq { .. } => min = 0,
            }
        }
        if let Token::Lit(_, text) = t
            && text.ends_with('\n')
        {
            line_start = true;
        }
    }
    if min == usize::MAX {
        return;
    }
    for i in adjust {
        if let Token::Lit(_, text) = &mut tokens[i] {
            let cut = text.char_indices().nth(min).map_or(text.len(), |(b, _)| b);
            *text = text[cut..].to_string();
        }
    }
}

/// Writes the settled literal texts back and clears every strip marker.
fn write_back(t: &mut Template, texts: &[String], next: &mut usize) {
    for el in t.iter_mut() {
        match el {
            Element::Literal(lit) => {
                if let Some(text) = texts.get(*next) {
                    *lit.value_mut() = text.clone();
                }
                *next += 1;
            }
            Element::Interpolation(ip) => ip.strip = Strip::None,
            Element::Directive(d) => match d.as_mut() {
                Directive::If(i) => {
                    i.if_expr.strip = Strip::None;
                    write_back(&mut i.if_expr.template, texts, next);
                    if let Some(e) = &mut i.else_expr {
                        e.strip = Strip::None;
                        write_back(&mut e.template, texts, next);
                    }
                    i.endif_expr.strip = Strip::None;
                }
                Directive::For(f) => {
                    f.for_expr.strip = Strip::None;
                    write_back(&mut f.for_expr.template, texts, next);
                    f.endfor_expr.strip = Strip::None;
                }
            },
        }
    }
}

fn flush(h: &mut HeredocTemplate, source: &str) {
    let mut raw = Vec::new();
    if raw_literals(&h.template, source, &mut raw).is_none() {
        return;
    }
    let mut toks = Vec::new();
    tokens(&h.template, &raw, &mut 0, &mut toks);
    settle(&mut toks);
    let mut texts = vec![String::new(); raw.len()];
    for t in toks {
        if let Token::Lit(i, text) = t
            && let Some(slot) = texts.get_mut(i)
        {
            slot.push_str(&text);
        }
    }
    write_back(&mut h.template, &texts, &mut 0);
    h.set_indent(0);
}
