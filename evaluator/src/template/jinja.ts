import { Template } from "@huggingface/jinja";
import { BenchError } from "../errors/index.ts";

/** Where a template came from, for error messages: `suites/x/suite.yaml: $.tasks[0].prompt`. */
export interface TemplateSource {
  file: string;
  path: string;
}

function parse(text: string, source: TemplateSource): Template {
  try {
    return new Template(text);
  } catch (cause) {
    throw new BenchError(
      "E_TEMPLATE",
      `${source.file}: ${source.path}: Jinja syntax error: ${(cause as Error).message}`,
      {
        hint: "templates use Jinja syntax, as in lm-evaluation-harness and model chat templates",
        cause,
      },
    );
  }
}

/** A Jinja template over one dataset record (the prompt). Parsed once. */
export function compileTemplate(text: string, source: TemplateSource): (record: object) => string {
  const template = parse(text, source);
  return (record) => template.render(record as Record<string, unknown>);
}

/** A Jinja expression over one record that yields a value (choices, target, labels). Parsed once. */
export function compileExpression(
  expression: string,
  source: TemplateSource,
): (record: object) => unknown {
  // An undefined value would render as JSON null; render nothing instead, to name the cause.
  const template = parse(
    `{% if (${expression}) is defined %}{{ (${expression}) | tojson }}{% endif %}`,
    source,
  );
  return (record) => {
    const rendered = template.render(record as Record<string, unknown>);
    if (rendered.trim() === "") {
      throw new BenchError(
        "E_TEMPLATE",
        `${source.file}: ${source.path}: ${JSON.stringify(expression)} gave nothing for this record (is a field name misspelt?)`,
      );
    }
    return JSON.parse(rendered);
  };
}
