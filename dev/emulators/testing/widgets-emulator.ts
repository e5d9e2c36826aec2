// A tiny "widgets" service on the emulator framework: it proves the framework end to end (TLS, auth, routing,
// faults, throttles, statistics) without depending on any real Azure service's shapes.
import { EmulatorError, emptyResponse, jsonResponse, route, startEmulator } from "../framework";
import type { Emulator, EmulatorOptions, EmulatorRoute } from "../framework";

export interface Widget {
  readonly id: string;
  readonly name: string;
  readonly color: string;
  readonly version: number;
}

export type WidgetsEmulatorOptions = Omit<EmulatorOptions, "name" | "routes">;

export interface WidgetsEmulator extends Emulator {
  /** Widgets stored so far, by lower-cased name (names are case-insensitive, as Azure resource names are). */
  readonly widgets: ReadonlyMap<string, Widget>;
}

export async function startWidgetsEmulator(options: WidgetsEmulatorOptions): Promise<WidgetsEmulator> {
  const widgets = new Map<string, Widget>();
  const emulator = await startEmulator({ ...options, name: "widgets", routes: widgetRoutes(widgets) });
  return { ...emulator, widgets };
}

function widgetRoutes(widgets: Map<string, Widget>): EmulatorRoute[] {
  return [
    route({
      method: "GET",
      path: "/widgets",
      operation: "widgets.list",
      handler: () => jsonResponse(200, { value: [...widgets.values()] }),
    }),
    route({
      method: "GET",
      path: "/widgets/{name}",
      operation: "widgets.get",
      handler: ({ params }) => jsonResponse(200, findWidget(widgets, params.name)),
    }),
    route({
      method: "PUT",
      path: "/widgets/{name}",
      operation: "widgets.put",
      handler: ({ params, body, baseUrl }) => {
        const color = readColor(body);
        const existing = widgets.get(params.name.toLowerCase());
        const widget: Widget = {
          id: `${baseUrl}/widgets/${params.name}`,
          name: params.name,
          color,
          version: (existing?.version ?? 0) + 1,
        };
        widgets.set(params.name.toLowerCase(), widget);
        return jsonResponse(existing === undefined ? 201 : 200, widget);
      },
    }),
    route({
      method: "DELETE",
      path: "/widgets/{name}",
      operation: "widgets.delete",
      handler: ({ params }) => {
        findWidget(widgets, params.name);
        widgets.delete(params.name.toLowerCase());
        return emptyResponse(204);
      },
    }),
  ];
}

function findWidget(widgets: ReadonlyMap<string, Widget>, name: string): Widget {
  const widget = widgets.get(name.toLowerCase());
  if (widget === undefined) throw new EmulatorError(404, "WidgetNotFound", `Widget ${name} does not exist.`);
  return widget;
}

function readColor(body: unknown): string {
  if (typeof body === "object" && body !== null && "color" in body && typeof body.color === "string") {
    return body.color;
  }
  throw new EmulatorError(400, "BadParameter", "The body must be JSON with a string property 'color'.", {
    target: "color",
  });
}
