export declare const EXAMPLE_DEFAULTS: Readonly<{ host: string; port: number; apiUrl: string; writeKey: string }>;
export interface ExampleServer {
  port: number;
  url: string;
  close(): Promise<void>;
}
export declare function startExampleServer(options?: {
  host?: string;
  port?: number;
  apiUrl?: string;
  writeKey?: string;
}): Promise<ExampleServer>;
