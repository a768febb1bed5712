-- +goose Up
-- Browser sign-in (docs/adr/0002-browser-sessions.md). A session is a row;
-- the cookie holds a random ID whose SHA-256 is the key, so reading this
-- table gives no usable cookie, and signing out deletes the row for every
-- replica at once. The role and region are those mapped at sign-in.
CREATE TABLE web_session (
    id_hash    bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    subject    text NOT NULL CHECK (subject <> ''),
    name       text NOT NULL DEFAULT '',
    role       text NOT NULL CHECK (role IN ('ANALYST', 'REGION_EDITOR', 'REGION_APPROVER', 'NATIONAL_ADMIN')),
    region_id  uuid REFERENCES region (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    CHECK ((role IN ('REGION_EDITOR', 'REGION_APPROVER')) = (region_id IS NOT NULL))
);
CREATE INDEX web_session_by_expiry ON web_session (expires_at);

-- A sign-in under way, from sending the browser to the provider until it
-- comes back: the state, nonce and PKCE verifier it must match, used once.
CREATE TABLE web_sign_in (
    id_hash    bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    state      text NOT NULL,
    nonce      text NOT NULL,
    verifier   text NOT NULL,
    return_to  text NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX web_sign_in_by_expiry ON web_sign_in (expires_at);

-- +goose Down
DROP TABLE web_sign_in;
DROP TABLE web_session;
