/*
 * HTML of the subscription pages (billing_page.h). The texts live in one table per language, as the chat's
 * catalogue does; the markup is a fixed skeleton with inline styles (the pages load nothing else).
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "caloria/billing_link.h"
#include "caloria/billing_page.h"

struct page_text {
	const char *title;
	const char *body;
};

static const struct page_text pages[CAL_PAGE__MAX][CAL_LANG__MAX] = {
	[CAL_PAGE_LINK_INVALID] = {{"Enlace no válido", "Este enlace no es válido. Escribí \"premium\" en el chat para recibir uno nuevo."},
				   {"Invalid link", "This link is not valid. Send \"subscribe\" in the chat to get a new one."}},
	[CAL_PAGE_LINK_EXPIRED] = {{"Enlace vencido", "Este enlace venció. Escribí \"premium\" en el chat para recibir uno nuevo."},
				   {"Link expired", "This link has expired. Send \"subscribe\" in the chat to get a new one."}},
	[CAL_PAGE_NO_USER] = {{"Enlace no válido", "No encontramos tu cuenta. Escribí \"premium\" en el chat para recibir un enlace nuevo."},
			      {"Invalid link", "We could not find your account. Send \"subscribe\" in the chat to get a new link."}},
	[CAL_PAGE_ALREADY] = {{"Ya tenés Premium", "Tu suscripción ya está activa. ¡Gracias! 💪"},
			      {"You already have Premium", "Your subscription is already active. Thank you! 💪"}},
	[CAL_PAGE_UPSTREAM] = {{"Probá de nuevo", "MercadoPago no respondió. Esperá un momento y volvé a intentar."},
			       {"Please try again", "MercadoPago did not answer. Wait a moment and try again."}},
	[CAL_PAGE_SUCCESS] = {{"¡Gracias!", "Recibimos tu suscripción. Cuando MercadoPago confirme el pago te avisamos en el chat."},
			      {"Thank you!", "We got your subscription. We'll tell you in the chat as soon as MercadoPago confirms the payment."}},
	[CAL_PAGE_CANCEL] = {{"Suscripción no completada", "No se hizo ningún cobro. Podés volver a intentarlo desde el chat cuando quieras."},
			     {"Subscription not completed", "Nothing was charged. You can try again from the chat whenever you like."}},
	[CAL_PAGE_ERROR] = {{"Algo salió mal", "No pudimos completar el pedido. Probá de nuevo en un rato."},
			    {"Something went wrong", "We could not complete the request. Please try again in a while."}},
};

static const struct {
	/* The greeting and the offer are split around the name and the price, which are escaped in between. */
	const char *hello, *hello_name, *intro, *intro_end, *label, *button, *bad_email, *lang;
} form_text[CAL_LANG__MAX] = {
	{"¡Hola!", "¡Hola, ", "Caloria Premium: análisis ilimitados por ",
	 " al mes. Ingresá el e-mail de tu cuenta de MercadoPago y seguí con el pago allá.",
	 "E-mail", "Continuar a MercadoPago", "Ese e-mail no parece válido. Revisalo, por favor.", "es"},
	{"Hi!", "Hi, ", "Caloria Premium: unlimited analyses for ",
	 " a month. Enter the e-mail of your MercadoPago account and continue with the payment there.",
	 "E-mail", "Continue to MercadoPago", "That e-mail does not look valid. Please check it.", "en"},
};

static const char style[] =
	"body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#222}"
	"h1{font-size:1.4rem}input{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box}"
	"button{font-size:1rem;padding:.6rem 1rem;margin-top:1rem}.err{color:#b00020}";

static cal_lang ok_lang(cal_lang l)
{
	return l == CAL_LANG_EN ? CAL_LANG_EN : CAL_LANG_ES;
}

static void escape(cal_buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&': cal_buf_puts(b, "&amp;"); break;
		case '<': cal_buf_puts(b, "&lt;"); break;
		case '>': cal_buf_puts(b, "&gt;"); break;
		case '"': cal_buf_puts(b, "&quot;"); break;
		case '\'': cal_buf_puts(b, "&#39;"); break;
		default: cal_buf_append(b, s, 1); break;
		}
	}
}

static void head(cal_buf *b, cal_lang lang, const char *title)
{
	cal_buf_printf(b, "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
		       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>",
		       form_text[lang].lang);
	escape(b, title);
	cal_buf_printf(b, " · Caloria</title><style>%s</style></head><body>", style);
}

static const char *finish(cal_arena *a, cal_buf *b)
{
	const char *out;

	cal_buf_puts(b, "</body></html>\n");
	out = cal_arena_strdup(a, b->data);
	cal_buf_free(b);
	return out;
}

const char *cal_billing_page_form(cal_arena *a, cal_lang lang, const char *first_name, const char *price,
				  const char *currency, const char *action, const char *typed_email, bool email_error)
{
	cal_buf b;

	lang = ok_lang(lang);
	cal_buf_init(&b);
	head(&b, lang, "Caloria Premium");
	cal_buf_puts(&b, "<h1>");
	if (first_name != NULL && first_name[0] != '\0') {
		cal_buf_puts(&b, form_text[lang].hello_name);
		escape(&b, first_name);
		cal_buf_puts(&b, "!");
	} else {
		cal_buf_puts(&b, form_text[lang].hello);
	}
	cal_buf_printf(&b, "</h1><p>%s", form_text[lang].intro);
	escape(&b, price);
	cal_buf_puts(&b, " ");
	escape(&b, currency);
	cal_buf_printf(&b, "%s</p><form method=\"post\" action=\"", form_text[lang].intro_end);
	escape(&b, action);
	cal_buf_printf(&b, "\"><label for=\"email\">%s</label>", form_text[lang].label);
	cal_buf_puts(&b, "<input id=\"email\" name=\"email\" type=\"email\" required maxlength=\"254\" autocomplete=\"email\"");
	if (typed_email != NULL) {
		cal_buf_puts(&b, " value=\"");
		escape(&b, typed_email);
		cal_buf_puts(&b, "\"");
	}
	cal_buf_puts(&b, ">");
	if (email_error)
		cal_buf_printf(&b, "<p class=\"err\" id=\"email-error\">%s</p>", form_text[lang].bad_email);
	cal_buf_printf(&b, "<button type=\"submit\">%s</button></form>", form_text[lang].button);
	return finish(a, &b);
}

const char *cal_billing_page_message(cal_arena *a, cal_lang lang, cal_billing_page page)
{
	cal_buf b;

	lang = ok_lang(lang);
	if (page >= CAL_PAGE__MAX)
		page = CAL_PAGE_LINK_INVALID;
	cal_buf_init(&b);
	head(&b, lang, pages[page][lang].title);
	cal_buf_puts(&b, "<h1>");
	escape(&b, pages[page][lang].title);
	cal_buf_puts(&b, "</h1><p>");
	escape(&b, pages[page][lang].body);
	cal_buf_puts(&b, "</p>");
	return finish(a, &b);
}

void cal_billing_page_send(cal_response *resp, int status, const char *html)
{
	cal_resp_text(resp, status, "text/html; charset=utf-8", html, strlen(html));
	cal_resp_header(resp, "Content-Security-Policy",
			"default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https:; "
			"frame-ancestors 'none'; base-uri 'none'");
	cal_resp_header(resp, "X-Frame-Options", "DENY");
	cal_resp_header(resp, "Referrer-Policy", "no-referrer");
}

cal_lang cal_billing_page_lang(const cal_request *req, cal_lang fallback)
{
	const char *q = cal_http_query(req, "lang");
	const char *al = cal_http_header(req, "Accept-Language");

	if (q != NULL)
		return strncasecmp(q, "en", 2) == 0 ? CAL_LANG_EN : CAL_LANG_ES;
	if (al != NULL && (strncasecmp(al, "en", 2) == 0 || strncasecmp(al, "es", 2) == 0))
		return strncasecmp(al, "en", 2) == 0 ? CAL_LANG_EN : CAL_LANG_ES;
	return fallback;
}

void cal_billing_page_render_error(struct cal_ctx *ctx, const cal_request *req, cal_response *resp, cal_err e,
				   const char *message)
{
	cal_lang lang = cal_billing_page_lang(req, req->lang);
	cal_billing_page page = CAL_PAGE_ERROR;
	const char *sid = NULL;

	(void)message;
	if (e == CAL_ERR_FORBIDDEN || e == CAL_ERR_UNAUTHORIZED)
		page = cal_billing_token_check(req->arena, ctx->conf.manychat_webhook_token, cal_http_query(req, "t"),
					       time(NULL), &sid, NULL) == CAL_TOKEN_EXPIRED
			       ? CAL_PAGE_LINK_EXPIRED
			       : CAL_PAGE_LINK_INVALID;
	else if (e == CAL_ERR_UPSTREAM)
		page = CAL_PAGE_UPSTREAM;
	cal_billing_page_send(resp, cal_err_status(e), cal_billing_page_message(req->arena, lang, page));
	resp->err = e;
}
