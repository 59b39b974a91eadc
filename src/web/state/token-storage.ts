// The API token the reader signed in with, for this tab only: sessionStorage, never
// localStorage or a cookie. GraphiQL's page (same origin) reads it too.
const key = "cronline.token";

export const storedToken = (): string | null => sessionStorage.getItem(key);
export const storeToken = (token: string): void => sessionStorage.setItem(key, token);
export const forgetToken = (): void => sessionStorage.removeItem(key);
