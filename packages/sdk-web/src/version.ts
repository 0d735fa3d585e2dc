/** Library version stamped into `context.library` (a test keeps it equal to package.json). */
export const VERSION = '0.1.0';
export const LIBRARY_NAME = '@cdp/sdk-web';
