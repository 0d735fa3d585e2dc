/** Sent as `context.library.version`; a test keeps it equal to package.json. */
export const SDK_NAME = '@cdp/sdk-node';
export const SDK_VERSION = '0.1.0';
