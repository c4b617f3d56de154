/** The API's user row for the token (OpenAPI schema `User`). */
export interface User {
  readonly id: number;
  readonly username: string;
  readonly sub: string | null;
  readonly is_active: boolean;
  readonly date_joined: string;
  readonly last_login: string | null;
}
