// What an HTTP service sends as its body. A JSON body (the default payload body, a body sent
// with a JSON content-type, or a JSON object or array template sent without a content-type)
// is rendered as JSON (json-template.ts); any other body is text.
import { isJsonMediaType, parseJsonTemplate, renderJsonTemplate, type JsonTemplate } from "./json-template.js";
import { parseTemplate, renderTemplate, TemplateError, type TemplateContext } from "./templates.js";

export interface RenderedBody {
  body: string;
  /** The content-type this body is sent with when the service's headers set none. */
  contentType: string | undefined;
}

/** Renders the body of one request; `contentType` is the service's rendered content-type header, if any. */
export type BodyRenderer = (context: TemplateContext, contentType: string | undefined) => RenderedBody;

export function prepareHttpBody(bodyText: string | undefined): BodyRenderer {
  if (bodyText === undefined) return (context) => ({ body: JSON.stringify(context.payload), contentType: "application/json" });
  const text = parseTemplate(bodyText);
  let json: JsonTemplate | TemplateError;
  try {
    json = parseJsonTemplate(bodyText);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    json = error;
  }
  return (context, contentType) => {
    if (contentType !== undefined && isJsonMediaType(contentType)) {
      if (json instanceof TemplateError) throw new TemplateError(`the body ${json.message}, as content-type is ${contentType}`, `the body ${json.unquoted}, as content-type is ${contentType}`);
      return { body: renderJsonTemplate(json, context), contentType: undefined };
    }
    if (contentType === undefined && !(json instanceof TemplateError) && json.isContainer) {
      return { body: renderJsonTemplate(json, context), contentType: "application/json" };
    }
    return { body: renderTemplate(text, context), contentType: undefined };
  };
}

/** The save-time rule: a body sent with a JSON content-type (as written in the service) must be a JSON template. */
export function checkJsonBody(bodyText: string, contentType: string | undefined): void {
  if (contentType !== undefined && isJsonMediaType(contentType)) parseJsonTemplate(bodyText);
}
