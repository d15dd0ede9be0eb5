/*
 * Authentication kinds of the route table (SPEC §4.3): the ManyChat shared token, admin sessions and API
 * bearer tokens (admin_auth.h), and the operator rule (token, admin session or
 * loopback). Every secret comparison is constant-time.
 */
#ifndef CALORIA_AUTH_H
#define CALORIA_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "caloria/ctx.h"
#include "caloria/http.h"
#include "caloria/router.h"

/* Checks req against the route's auth kind. CAL_OK, CAL_ERR_UNAUTHORIZED, or CAL_ERR_UNAVAILABLE. */
cal_err cal_auth_check(cal_ctx *ctx, cal_request *req, cal_auth kind);
/* Constant-time equality of a secret and a candidate (false when either is NULL or the secret is empty). */
bool cal_auth_secret_eq(const char *secret, const char *candidate);
/* The bearer token of an Authorization header, or NULL. */
const char *cal_auth_bearer(const cal_request *req);
/* True when the client address is loopback (127.0.0.0/8 or ::1). */
bool cal_auth_is_loopback(const char *ip);
/* SHA-256 of s as 64 lowercase hex chars into out[65]. */
void cal_auth_sha256_hex(const char *s, size_t len, char out[65]);

#endif
