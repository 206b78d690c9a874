/** Appwrite error types the backend can answer with, their HTTP status and Appwrite's default message. */
export const ERROR_TYPES = {
  general_route_not_found: [404, 'The requested route was not found. Please refer to the API docs and try again.'],
  general_argument_invalid: [400, 'The request contains one or more invalid arguments. Please refer to the endpoint documentation.'],
  general_query_invalid: [400, 'The query is invalid. Please check the query and try again.'],
  general_cursor_not_found: [400, 'The cursor is invalid. This can happen if the item represented by the cursor has been deleted.'],
  general_access_forbidden: [401, 'Access to this API is forbidden.'],
  general_unauthorized_scope: [401, 'The current user or API key does not have the required scopes to access the requested resource.'],
  general_unknown: [500, 'An unknown error has occured. Please check the logs for more information.'],
  general_server_error: [500, 'An internal server error occurred.'],
  general_rate_limit_exceeded: [429, 'Rate limit for the current endpoint has been exceeded. Please try again after some time.'],
  general_bad_request: [400, 'There was an error processing your request. Please check the inputs and try again.'],
  user_console_count_exceeded: [501, 'Sign up to the console is restricted. You can contact an administrator to update console sign up restrictions by setting _APP_CONSOLE_WHITELIST_ROOT to "disabled".'],
  project_not_found: [404, 'Project with the requested ID could not be found. Please check the value of the X-Appwrite-Project header to ensure the correct project ID is being used.'],
  user_unauthorized: [401, 'The current user is not authorized to perform the requested action.'],
  user_invalid_credentials: [401, 'Invalid credentials. Please check the email and password.'],
  user_jwt_invalid: [401, 'The JWT token is invalid. Please check the value of the X-Appwrite-JWT header to ensure the correct token is being used.'],
  user_session_already_exists: [401, 'Creation of a session is prohibited when a session is active.'],
  user_session_not_found: [404, 'The current user session could not be found.'],
  user_already_exists: [409, 'A user with the same id, email, or phone already exists in this project.'],
  user_not_found: [404, 'User with the requested ID could not be found.'],
  user_password_mismatch: [400, 'Passwords do not match. Please check the password and confirm password.'],
  user_blocked: [401, 'The current user has been blocked.'],
  database_not_found: [404, 'Database not found'],
  collection_not_found: [404, 'Collection with the requested ID could not be found.'],
  database_query_order_null: [400, 'The order attribute had a null value. Cursor pagination requires all documents order attribute values are non-null.'],
  attribute_unknown: [400, 'The attribute required for the index could not be found. Please confirm all your attributes are in the available state.'],
  index_invalid: [400, 'Index invalid.'],
  index_already_exists: [409, 'Index with the requested key already exists. Try again with a different key.'],
  index_limit_exceeded: [400, 'The maximum number of indexes has been reached.'],
  document_not_found: [404, 'Document with the requested ID could not be found.'],
  document_invalid_structure: [400, 'The document structure is invalid. Please ensure the attributes match the collection definition.'],
  document_missing_data: [400, 'The document data is missing. Try again with document data populated'],
  document_missing_payload: [400, 'The document data and permissions are missing. You must provide either document data or permissions to be updated.'],
  document_already_exists: [409, 'Document with the requested ID already exists. Try again with a different ID or use ID.unique() to generate a unique ID.'],
  document_update_conflict: [409, 'Remote document is newer than local.'],
} as const satisfies Record<string, readonly [number, string]>;

export type ErrorType = keyof typeof ERROR_TYPES;

export const SERVER_VERSION = '1.6.2';

/** An error that the HTTP layer renders as Appwrite's `{message, code, type, version}` body. */
export class AppwriteError extends Error {
  readonly code: number;
  constructor(readonly type: ErrorType, message?: string, readonly headers: Record<string, string> = {}) {
    super(message ?? ERROR_TYPES[type][1]);
    this.name = 'AppwriteError';
    this.code = ERROR_TYPES[type][0];
  }

  toBody(): { message: string; code: number; type: string; version: string } {
    return { message: this.message, code: this.code, type: this.type, version: SERVER_VERSION };
  }
}

export function invalidParam(name: string, description: string): AppwriteError {
  return new AppwriteError('general_argument_invalid', `Invalid \`${name}\` param: ${description}`);
}
