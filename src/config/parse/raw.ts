/** The shape of one integration document once it has passed the JSON Schema. */

export type RawFieldSpec =
  string | { value: string | number | boolean | null } | { template: string };

export interface RawWebhook {
  url: string;
  method?: "POST" | "GET";
  format?: "json" | "query" | "form";
  pathArguments?: string[];
  auth?: {
    type?: "none" | "basic" | "token";
    username?: string;
    password?: string;
    token?: string;
  };
  headers?: Record<string, string>;
  fields?: Record<string, RawFieldSpec>;
  signing?: { secret: string | string[] };
  timeout?: string;
  retry?: { maxAttempts?: number; initialDelay?: string; maxDelay?: string };
  maxInFlight?: number;
  tls?: { ca?: string };
}

export interface RawIntegration {
  apiVersion: "hookswitch/v1";
  name: string;
  description?: string;
  enabled?: boolean;
  type?: "webhook";
  scope: { account?: string; service?: string };
  trigger: { serviceType: string; events: string[] };
  webhook: RawWebhook;
}
