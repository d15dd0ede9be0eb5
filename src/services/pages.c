/*
 * Public pages (pages.h). The texts are data: one row per page and language, HTML fragments written here and
 * nowhere else, with {price} and {trial_days} slots for the configured subscription (values from the
 * configuration, escaped all the same).
 */
#include "config.h"

#include <strings.h>
#include <string.h>

#include "caloria/admin_html.h"
#include "caloria/pages.h"

typedef struct page_text {
	const char *title;
	const char *body; /* HTML with {price} and {trial_days} slots */
} page_text;

static const page_text texts[CAL_PAGE__MAX][CAL_LANG__MAX] = {
	[CAL_PAGE_HOME][CAL_LANG_ES] = {
		"Caloria — tu registro de calorías en el chat",
		"<h1>Caloria</h1>"
		"<p>Caloria es un asistente de chat (Telegram, Instagram, WhatsApp, Messenger) que te ayuda a llevar la "
		"cuenta de lo que comés.</p>"
		"<ul><li>Respondés seis preguntas (sexo, edad, peso, altura, actividad y objetivo) y calcula tu "
		"metabolismo basal, tu meta diaria de calorías y tus macronutrientes.</li>"
		"<li>Escribís lo que comiste —«2 huevos revueltos y una tostada con manteca»— y lo registra con sus "
		"calorías, proteínas, carbohidratos y grasas, usando la base de datos de alimentos del USDA.</li>"
		"<li>Escribí <b>hoy</b> o <b>semana</b> para ver tu progreso, <b>deshacer</b> para borrar el último "
		"registro y <b>ayuda</b> para ver todos los comandos.</li></ul>"
		"<p>Caloria no reemplaza el consejo de un profesional de la salud.</p>"
		"<p><a href=\"/privacy-policy?lang=es\">Política de privacidad</a> · "
		"<a href=\"/terms-and-conditions?lang=es\">Términos y condiciones</a> · <a href=\"/?lang=en\">English</a></p>"},
	[CAL_PAGE_HOME][CAL_LANG_EN] = {
		"Caloria — your calorie log in the chat",
		"<h1>Caloria</h1>"
		"<p>Caloria is a chat assistant (Telegram, Instagram, WhatsApp, Messenger) that helps you keep track of "
		"what you eat.</p>"
		"<ul><li>You answer six questions (sex, age, weight, height, activity and goal) and it works out your "
		"basal metabolic rate, your daily calorie goal and your macronutrients.</li>"
		"<li>You write what you ate — “2 scrambled eggs and a slice of toast with butter” — and it logs it with "
		"its calories, protein, carbohydrates and fat, using the USDA food composition database.</li>"
		"<li>Send <b>today</b> or <b>week</b> to see your progress, <b>undo</b> to remove the last log and "
		"<b>help</b> for every command.</li></ul>"
		"<p>Caloria does not replace the advice of a health professional.</p>"
		"<p><a href=\"/privacy-policy?lang=en\">Privacy policy</a> · "
		"<a href=\"/terms-and-conditions?lang=en\">Terms and conditions</a> · <a href=\"/?lang=es\">Español</a></p>"},
	[CAL_PAGE_PRIVACY][CAL_LANG_ES] = {
		"Caloria — política de privacidad",
		"<h1>Política de privacidad</h1>"
		"<h2>Qué datos guardamos y para qué</h2><ul>"
		"<li><b>Tu identificador de chat</b>, nombre e idioma, que nos envía la plataforma de mensajería, para "
		"responderte a vos y en tu idioma.</li>"
		"<li><b>Tu perfil</b> (sexo, edad, peso, altura, actividad, objetivo) para calcular tu meta diaria.</li>"
		"<li><b>Tus comidas</b>: el texto que escribiste, los alimentos reconocidos y sus valores, y los totales "
		"de cada día, para mostrarte tu progreso y enviarte el resumen diario.</li>"
		"<li><b>Tu suscripción y tus pagos</b> (estado, importes, fechas), que procesa MercadoPago; no guardamos "
		"datos de tarjetas.</li></ul>"
		"<p>Las fotos y notas de voz se analizan y se descartan: nunca guardamos el archivo. No vendemos ni "
		"compartimos tus datos con fines publicitarios. Los proveedores que usamos para analizar comidas "
		"(Google, Spoonacular) reciben solo lo necesario para cada análisis.</p>"
		"<h2>Cuánto tiempo</h2><p>Mientras uses Caloria. Los registros técnicos se borran automáticamente.</p>"
		"<h2>Cómo borrar tus datos</h2><p>Escribí <b>borrar mis datos</b> en el chat y confirmá: se eliminan tu "
		"perfil, tus comidas, tus estadísticas y todo lo pendiente. De los pagos queda solo el registro contable "
		"anónimo (importe y fecha), que la ley nos obliga a conservar.</p>"
		"<p><a href=\"/?lang=es\">Inicio</a> · <a href=\"/privacy-policy?lang=en\">English</a></p>"},
	[CAL_PAGE_PRIVACY][CAL_LANG_EN] = {
		"Caloria — privacy policy",
		"<h1>Privacy policy</h1>"
		"<h2>What we keep and why</h2><ul>"
		"<li><b>Your chat identifier</b>, name and language, sent by the messaging platform, so we can answer "
		"you, in your language.</li>"
		"<li><b>Your profile</b> (sex, age, weight, height, activity, goal) to compute your daily goal.</li>"
		"<li><b>Your meals</b>: the text you wrote, the foods recognised with their values, and each day's "
		"totals, to show your progress and send the daily summary.</li>"
		"<li><b>Your subscription and payments</b> (status, amounts, dates), processed by MercadoPago; we never "
		"keep card data.</li></ul>"
		"<p>Photos and voice notes are analysed and discarded: the file is never stored. We do not sell or share "
		"your data for advertising. The providers we use to analyse meals (Google, Spoonacular) receive only "
		"what each analysis needs.</p>"
		"<h2>For how long</h2><p>As long as you use Caloria. Technical records are deleted automatically.</p>"
		"<h2>How to delete your data</h2><p>Send <b>delete my data</b> in the chat and confirm: your profile, "
		"meals, statistics and anything pending are erased. Of your payments only the anonymous accounting record "
		"(amount and date) remains, which the law requires us to keep.</p>"
		"<p><a href=\"/?lang=en\">Home</a> · <a href=\"/privacy-policy?lang=es\">Español</a></p>"},
	[CAL_PAGE_TERMS][CAL_LANG_ES] = {
		"Caloria — términos y condiciones",
		"<h1>Términos y condiciones</h1>"
		"<p>Caloria ofrece estimaciones nutricionales con fines informativos; no es un servicio médico. "
		"Consultá a un profesional antes de cambiar tu alimentación.</p>"
		"<h2>Prueba y suscripción</h2><p>Al completar el cuestionario empieza una prueba gratuita de {trial_days} día(s). "
		"Después podés suscribirte por {price} por mes, cobrados por MercadoPago, y cancelar cuando quieras: el "
		"acceso sigue hasta el final del período pagado. Sin suscripción podés seguir registrando un número "
		"limitado de comidas por día.</p>"
		"<h2>Uso aceptable</h2><p>No uses Caloria para enviar contenido ilegal ni para sobrecargar el servicio.</p>"
		"<p><a href=\"/?lang=es\">Inicio</a> · <a href=\"/privacy-policy?lang=es\">Privacidad</a> · "
		"<a href=\"/terms-and-conditions?lang=en\">English</a></p>"},
	[CAL_PAGE_TERMS][CAL_LANG_EN] = {
		"Caloria — terms and conditions",
		"<h1>Terms and conditions</h1>"
		"<p>Caloria gives nutritional estimates for information only; it is not a medical service. Ask a "
		"professional before changing your diet.</p>"
		"<h2>Trial and subscription</h2><p>Completing the questionnaire starts a free trial of {trial_days} day(s). "
		"Afterwards you can subscribe for {price} a month, charged by MercadoPago, and cancel at any time: access "
		"continues until the end of the paid period. Without a subscription you can still log a limited number "
		"of meals per day.</p>"
		"<h2>Acceptable use</h2><p>Do not use Caloria to send illegal content or to overload the service.</p>"
		"<p><a href=\"/?lang=en\">Home</a> · <a href=\"/privacy-policy?lang=en\">Privacy</a> · "
		"<a href=\"/terms-and-conditions?lang=es\">Español</a></p>"},
};

void cal_pages_render(cal_buf *b, cal_arena *a, cal_page page, cal_lang lang, const char *price,
		      const char *currency, long trial_days)
{
	if ((int)page < 0 || page >= CAL_PAGE__MAX)
		page = CAL_PAGE_HOME;
	if ((int)lang < 0 || lang >= CAL_LANG__MAX)
		lang = CAL_LANG_ES;
	const page_text *t = &texts[page][lang];
	cal_html_begin(b, a, lang == CAL_LANG_EN ? "en" : "es", t->title);
	cal_buf_puts(b, "<main><article>");
	const char *price_text = cal_html_esc(a, cal_arena_printf(a, "%s %s", price ? price : "", currency ? currency : ""));
	for (const char *s = t->body; *s;) {
		if (strncmp(s, "{price}", 7) == 0) {
			cal_buf_puts(b, price_text);
			s += 7;
		} else if (strncmp(s, "{trial_days}", 12) == 0) {
			cal_buf_printf(b, "%ld", trial_days);
			s += 12;
		} else {
			size_t n = strcspn(s + 1, "{") + 1;
			cal_buf_append(b, s, n);
			s += n;
		}
	}
	cal_buf_puts(b, "</article></main>");
	cal_html_end(b);
}

cal_lang cal_pages_lang(const char *lang_param, const char *accept_language, cal_lang def)
{
	if (lang_param != NULL && strcmp(lang_param, "en") == 0)
		return CAL_LANG_EN;
	if (lang_param != NULL && strcmp(lang_param, "es") == 0)
		return CAL_LANG_ES;
	if (accept_language != NULL) {
		while (*accept_language == ' ')
			accept_language++;
		if (strncasecmp(accept_language, "en", 2) == 0)
			return CAL_LANG_EN;
		if (strncasecmp(accept_language, "es", 2) == 0)
			return CAL_LANG_ES;
	}
	return def;
}
