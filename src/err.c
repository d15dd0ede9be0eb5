/*
 * The error table: one row per cal_err with its HTTP status, stable code and user messages (es/en).
 * Keeping it in one table is what makes "each error maps to one status and one message" true.
 */
#include "config.h"

#include <string.h>

#include "caloria/err.h"

struct err_row {
	int status;
	const char *code;
	const char *msg[CAL_LANG__MAX];
};

static const struct err_row err_table[CAL_ERR__MAX] = {
	[CAL_OK] = {200, "ok", {"Listo.", "Done."}},
	[CAL_ERR_INVALID_JSON] = {400, "invalid_json",
		{"El cuerpo de la solicitud no es JSON válido.", "The request body is not valid JSON."}},
	[CAL_ERR_VALIDATION] = {400, "validation_error",
		{"Algún dato de la solicitud no es válido.", "Some field of the request is not valid."}},
	[CAL_ERR_UNAUTHORIZED] = {401, "unauthorized",
		{"Credenciales ausentes o incorrectas.", "Missing or wrong credentials."}},
	[CAL_ERR_FORBIDDEN] = {403, "forbidden",
		{"No tenés permiso para esto.", "You are not allowed to do this."}},
	[CAL_ERR_NOT_FOUND] = {404, "not_found", {"No encontrado.", "Not found."}},
	[CAL_ERR_METHOD] = {405, "method_not_allowed",
		{"Método no permitido para esta ruta.", "Method not allowed for this path."}},
	[CAL_ERR_CONFLICT] = {409, "conflict",
		{"La operación no es posible en el estado actual.", "The operation conflicts with the current state."}},
	[CAL_ERR_TOO_LARGE] = {413, "payload_too_large",
		{"La solicitud es demasiado grande.", "The request body is too large."}},
	[CAL_ERR_MEDIA_TYPE] = {415, "unsupported_media_type",
		{"Tipo de contenido no soportado.", "Unsupported content type."}},
	[CAL_ERR_RATE_LIMITED] = {429, "rate_limited",
		{"Demasiadas solicitudes; probá de nuevo en un momento.", "Too many requests; try again shortly."}},
	[CAL_ERR_INTERNAL] = {500, "internal_error",
		{"Error interno. Ya lo estamos revisando.", "Internal error. We are looking into it."}},
	[CAL_ERR_UPSTREAM] = {502, "upstream_error",
		{"Un servicio externo no respondió bien.", "An external service failed."}},
	[CAL_ERR_UNAVAILABLE] = {503, "unavailable",
		{"Servicio no disponible por un momento.", "Service temporarily unavailable."}},
};

static const struct err_row *row(cal_err e)
{
	if ((int)e < 0 || e >= CAL_ERR__MAX)
		e = CAL_ERR_INTERNAL;
	return &err_table[e];
}

const char *cal_err_code(cal_err e) { return row(e)->code; }
int cal_err_status(cal_err e) { return row(e)->status; }
const char *cal_strerror(cal_err e) { return row(e)->code; }

const char *cal_err_message(cal_err e, cal_lang lang)
{
	if ((int)lang < 0 || lang >= CAL_LANG__MAX)
		lang = CAL_LANG_ES;
	return row(e)->msg[lang];
}

cal_err cal_err_from_code(const char *code)
{
	if (code == NULL)
		return CAL_ERR__MAX;
	for (int i = 0; i < CAL_ERR__MAX; i++)
		if (strcmp(err_table[i].code, code) == 0)
			return (cal_err)i;
	return CAL_ERR__MAX;
}
