/*
 * The message catalogue (SPEC §5.4: friendly, short, emoji sparingly): one row per cal_msg with the
 * conversions it takes and its Spanish (rioplatense, as the error table) and English text, plus the labels
 * used inside messages and the locale → language mapping. Keeping every text in one table is what lets a
 * test prove that both languages exist and take the same arguments.
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "caloria/i18n.h"
#include "caloria/quiz.h"

struct msg_row {
	const char *args; /* conversions, see cal_i18n_args() */
	const char *text[CAL_LANG__MAX];
};

static const struct msg_row catalogue[CAL_MSG__MAX] = {
	[CAL_MSG_HELP] = {"", {
		"Así me usás 👇\n"
		"• Contame qué comiste, por ejemplo: \"2 huevos revueltos y una tostada\".\n"
		"• hoy: tu resumen del día\n"
		"• semana: tus últimos 7 días\n"
		"• deshacer: borra tu último registro de hoy\n"
		"• estado: tu perfil, tu meta y tu plan\n"
		"• quiz: volver a hacer el cuestionario\n"
		"• reiniciar: borrar tu perfil y empezar de cero\n"
		"• premium: suscribirte\n"
		"• english: switch to English\n"
		"• ayuda: este mensaje",
		"Here's how to use me 👇\n"
		"• Tell me what you ate, for example: \"2 scrambled eggs and a toast\".\n"
		"• today: your summary for the day\n"
		"• week: your last 7 days\n"
		"• undo: removes your last log of today\n"
		"• status: your profile, goal and plan\n"
		"• quiz: take the questionnaire again\n"
		"• reset: clear your profile and start over\n"
		"• subscribe: get Premium\n"
		"• español: cambiar a español\n"
		"• help: this message"}},
	[CAL_MSG_WELCOME] = {"", {
		"¡Hola! Soy Caloria 👋 Te ayudo a llevar la cuenta de lo que comés. Primero, 6 preguntas rápidas "
		"para calcular tu meta diaria de calorías.",
		"Hi! I'm Caloria 👋 I help you keep track of what you eat. First, 6 quick questions to work out "
		"your daily calorie goal."}},
	[CAL_MSG_Q_GENDER] = {"", {
		"1/6 · ¿Cuál es tu sexo? Lo uso en la fórmula del metabolismo.\n1️⃣ Hombre\n2️⃣ Mujer\n3️⃣ Otro",
		"1/6 · What is your sex? I use it in the metabolism formula.\n1️⃣ Male\n2️⃣ Female\n3️⃣ Other"}},
	[CAL_MSG_Q_AGE] = {"", {
		"2/6 · ¿Cuántos años tenés? Por ejemplo: 30",
		"2/6 · How old are you? For example: 30"}},
	[CAL_MSG_Q_WEIGHT] = {"", {
		"3/6 · ¿Cuánto pesás? En kilos (70 o 70,5) o en libras (154 lb).",
		"3/6 · How much do you weigh? In kilograms (70 or 70.5) or in pounds (154 lb)."}},
	[CAL_MSG_Q_HEIGHT] = {"", {
		"4/6 · ¿Cuánto medís? En centímetros (175), en metros (1,75) o en pies y pulgadas (5'9\").",
		"4/6 · How tall are you? In centimetres (175), metres (1.75) or feet and inches (5'9\")."}},
	[CAL_MSG_Q_ACTIVITY] = {"", {
		"5/6 · ¿Cuánta actividad física hacés?\n"
		"1️⃣ Sedentario: poco o nada de ejercicio\n"
		"2️⃣ Ligero: ejercicio 1 a 3 días por semana\n"
		"3️⃣ Moderado: 3 a 5 días por semana\n"
		"4️⃣ Activo: 6 o 7 días por semana\n"
		"5️⃣ Muy activo: ejercicio intenso todos los días o trabajo físico",
		"5/6 · How active are you?\n"
		"1️⃣ Sedentary: little or no exercise\n"
		"2️⃣ Lightly active: exercise 1 to 3 days a week\n"
		"3️⃣ Moderately active: 3 to 5 days a week\n"
		"4️⃣ Very active: 6 or 7 days a week\n"
		"5️⃣ Extra active: hard exercise every day or a physical job"}},
	[CAL_MSG_Q_GOAL] = {"", {
		"6/6 · ¿Cuál es tu objetivo?\n1️⃣ Perder peso\n2️⃣ Mantener mi peso\n3️⃣ Ganar peso\n4️⃣ Ganar músculo",
		"6/6 · What is your goal?\n1️⃣ Lose weight\n2️⃣ Maintain my weight\n3️⃣ Gain weight\n4️⃣ Build muscle"}},
	[CAL_MSG_QUIZ_INVALID] = {"s", {
		"No entendí tu respuesta 🤔 Podés responder %s",
		"I didn't get that 🤔 You can answer %s"}},
	[CAL_MSG_ACCEPT_GENDER] = {"", {
		"1, 2 o 3, o con una palabra: hombre, mujer u otro (también masculino, femenino, m, f).",
		"1, 2 or 3, or in words: male, female or other (also man, woman, m, f)."}},
	[CAL_MSG_ACCEPT_AGE] = {"", {
		"un número entero de 13 a 100, por ejemplo 30 o \"30 años\".",
		"a whole number from 13 to 100, for example 30 or \"30 years\"."}},
	[CAL_MSG_ACCEPT_WEIGHT] = {"", {
		"un peso de 30 a 300 kg: 70, 70,5 o \"70.5 kg\", o en libras: \"154 lb\".",
		"a weight from 30 to 300 kg: 70, 70.5 or \"70.5 kg\", or in pounds: \"154 lb\"."}},
	[CAL_MSG_ACCEPT_HEIGHT] = {"", {
		"una altura de 100 a 250 cm: 175 o \"175 cm\", en metros: 1,75 o \"1.75 m\", o en pies y pulgadas: "
		"5'9\" o \"5 ft 9 in\".",
		"a height from 100 to 250 cm: 175 or \"175 cm\", in metres: 1.75 or \"1.75 m\", or in feet and "
		"inches: 5'9\" or \"5 ft 9 in\"."}},
	[CAL_MSG_ACCEPT_ACTIVITY] = {"", {
		"un número del 1 al 5, o sedentario, ligero, moderado, activo o muy activo.",
		"a number from 1 to 5, or sedentary, light, moderate, very active or extra active."}},
	[CAL_MSG_ACCEPT_GOAL] = {"", {
		"un número del 1 al 4, o perder peso, mantener, ganar peso o músculo.",
		"a number from 1 to 4, or lose weight, maintain, gain weight or muscle."}},
	[CAL_MSG_QUIZ_DONE] = {"fddddd", {
		"¡Listo! 🎉 Tu plan:\n"
		"• Metabolismo basal: %.1f kcal\n"
		"• Meta diaria: %d kcal\n"
		"• Proteínas %d g · Carbohidratos %d g · Grasas %d g\n"
		"Tu prueba gratis de %d día(s) ya empezó.",
		"Done! 🎉 Your plan:\n"
		"• Basal metabolic rate: %.1f kcal\n"
		"• Daily goal: %d kcal\n"
		"• Protein %d g · Carbs %d g · Fat %d g\n"
		"Your %d-day free trial has started."}},
	[CAL_MSG_HOW_TO_LOG] = {"", {
		"Para registrar una comida, escribime qué comiste y cuánto, por ejemplo: \"200 g de pollo con "
		"ensalada\" o \"un café con leche y dos medialunas\". Pronto vas a poder mandar fotos y audios también.",
		"To log a meal, write what you ate and how much, for example: \"200 g of chicken with salad\" or "
		"\"1 cup of oatmeal with a banana\". Soon you'll be able to send photos and voice notes too."}},
	[CAL_MSG_FORM_INVALID] = {"s", {
		"Faltan datos o no son válidos: %s. Revisalos y mandá el formulario de nuevo.",
		"Some answers are missing or not valid: %s. Please check them and send the form again."}},
	[CAL_MSG_RESET_DONE] = {"", {
		"Borré tu perfil. Empecemos de nuevo.",
		"I cleared your profile. Let's start again."}},
	[CAL_MSG_LANGUAGE_SET] = {"", {
		"Listo, ahora te hablo en español.",
		"Done, I'll speak English from now on."}},
	[CAL_MSG_STATUS] = {"sdffssfdddds", {
		"Tu perfil:\n"
		"• %s, %d años, %.1f kg, %.1f cm\n"
		"• Actividad: %s\n"
		"• Objetivo: %s\n"
		"• Metabolismo basal: %.1f kcal\n"
		"• Meta diaria: %d kcal (proteínas %d g · carbohidratos %d g · grasas %d g)\n"
		"• Plan: %s",
		"Your profile:\n"
		"• %s, %d years, %.1f kg, %.1f cm\n"
		"• Activity: %s\n"
		"• Goal: %s\n"
		"• Basal metabolic rate: %.1f kcal\n"
		"• Daily goal: %d kcal (protein %d g · carbs %d g · fat %d g)\n"
		"• Plan: %s"}},
	[CAL_MSG_STATUS_NO_PROFILE] = {"", {
		"Todavía no completaste el cuestionario. Escribí \"quiz\" para empezar.",
		"You haven't finished the questionnaire yet. Write \"quiz\" to start."}},
	[CAL_MSG_MEDIA_LATER] = {"", {
		"Todavía no puedo analizar fotos ni audios. Contame por escrito qué comiste.",
		"I can't analyse photos or voice notes yet. Tell me in words what you ate."}},
	[CAL_MSG_RATE_LIMITED] = {"", {
		"Estás mandando mensajes muy rápido. Esperá un momento y probá de nuevo.",
		"You are sending messages too fast. Wait a moment and try again."}},
	[CAL_MSG_BAD_REQUEST] = {"", {
		"No pude leer ese mensaje. ¿Me lo mandás de nuevo?",
		"I could not read that message. Could you send it again?"}},
	[CAL_MSG_UNAVAILABLE] = {"", {
		"Perdón, tengo un problema técnico en este momento. Probá de nuevo en unos minutos.",
		"Sorry, I'm having a technical problem right now. Please try again in a few minutes."}},
	[CAL_MSG_INTERNAL] = {"", {
		"Perdón, algo salió mal de mi lado. Probá de nuevo en un rato.",
		"Sorry, something went wrong on my side. Please try again in a while."}},
	[CAL_MSG_UNAUTHORIZED] = {"", {
		"No pude verificar de dónde viene este mensaje.",
		"I could not verify where this message comes from."}},
	[CAL_MSG_BTN_SUBSCRIBE] = {"", {"Suscribirme", "Subscribe"}},
	[CAL_MSG_BTN_CONFIRM] = {"", {"Sí, anotalo", "Yes, log it"}},
	[CAL_MSG_BTN_CANCEL] = {"", {"No, cancelar", "No, cancel"}},
	[CAL_MSG_FOOD_LOGGED] = {"", {"Anotado ✅", "Logged ✅"}},
	[CAL_MSG_FOOD_ITEM] = {"sff", {"• %s (%.0f g): %.0f kcal", "• %s (%.0f g): %.0f kcal"}},
	[CAL_MSG_FOOD_ITEM_UNMATCHED] = {"s", {
		"• %s: no lo reconocí, no lo sumé",
		"• %s: not recognised, not counted"}},
	[CAL_MSG_FOOD_TOTAL] = {"ffff", {
		"Esta comida: %.0f kcal · proteínas %.1f g · carbohidratos %.1f g · grasas %.1f g",
		"This meal: %.0f kcal · protein %.1f g · carbs %.1f g · fat %.1f g"}},
	[CAL_MSG_DAY_PROGRESS] = {"ddd", {
		"Hoy llevás %d de %d kcal; te quedan %d.",
		"Today: %d of %d kcal; %d left."}},
	[CAL_MSG_DAY_OVER] = {"ddd", {
		"Hoy llevás %d de %d kcal; te pasaste por %d.",
		"Today: %d of %d kcal; %d over."}},
	[CAL_MSG_FOOD_UNCLEAR] = {"", {
		"No reconocí ningún alimento 🤔 Probá con algo como \"2 huevos y una tostada\" o \"200 g de arroz\".",
		"I couldn't recognise any food 🤔 Try something like \"2 eggs and a toast\" or \"200 g of rice\"."}},
	[CAL_MSG_FOOD_CONFIRM] = {"f", {
		"Calculo unas %.0f kcal, pero no estoy seguro. ¿Lo anoto? También podés describirlo con palabras.",
		"I estimate about %.0f kcal, but I'm not sure. Shall I log it? You can also describe it in words."}},
	[CAL_MSG_FOOD_CANCELLED] = {"", {"Listo, no lo anoté.", "OK, I didn't log it."}},
	[CAL_MSG_ANALYSIS_GONE] = {"", {
		"Ese análisis ya no está pendiente.",
		"That analysis is no longer pending."}},
	[CAL_MSG_PROCESSING_PHOTO] = {"", {
		"Estoy analizando tu foto 📷 Te aviso en un momento.",
		"Analysing your photo 📷 I'll get back to you in a moment."}},
	[CAL_MSG_PROCESSING_AUDIO] = {"", {
		"Estoy escuchando tu audio 🎤 Te aviso en un momento.",
		"Listening to your voice note 🎤 I'll get back to you in a moment."}},
	[CAL_MSG_TRANSCRIPT] = {"s", {"🎤 Entendí: \"%s\"", "🎤 I heard: \"%s\""}},
	[CAL_MSG_JOB_FAILED] = {"", {
		"Perdón, no pude analizar eso. ¿Me contás por escrito qué comiste?",
		"Sorry, I couldn't analyse that. Could you tell me in words what you ate?"}},
	[CAL_MSG_DAY_SUMMARY] = {"sddd", {
		"Resumen del %s: %d comida(s), %d de %d kcal.",
		"Summary for %s: %d meal(s), %d of %d kcal."}},
	[CAL_MSG_DAY_MACROS] = {"fdfdfd", {
		"Proteínas %.0f/%d g · Carbohidratos %.0f/%d g · Grasas %.0f/%d g",
		"Protein %.0f/%d g · Carbs %.0f/%d g · Fat %.0f/%d g"}},
	[CAL_MSG_DAY_EMPTY] = {"", {
		"Todavía no registraste nada hoy. Contame qué comiste.",
		"Nothing logged today yet. Tell me what you ate."}},
	[CAL_MSG_WEEK_HEAD] = {"", {"Tus últimos 7 días:", "Your last 7 days:"}},
	[CAL_MSG_WEEK_LINE] = {"sdd", {"• %s: %d / %d kcal", "• %s: %d / %d kcal"}},
	[CAL_MSG_WEEK_AVERAGE] = {"dd", {
		"Promedio: %d kcal por día (%d día(s) con registros).",
		"Average: %d kcal a day (%d day(s) with logs)."}},
	[CAL_MSG_WEEK_EMPTY] = {"", {
		"No registraste comidas en los últimos 7 días.",
		"You haven't logged any meals in the last 7 days."}},
	[CAL_MSG_UNDONE] = {"f", {
		"Borré tu último registro de hoy (%.0f kcal).",
		"I removed your last log of today (%.0f kcal)."}},
	[CAL_MSG_NOTHING_TO_UNDO] = {"", {
		"No hay nada para deshacer hoy.",
		"There is nothing to undo today."}},
	[CAL_MSG_SUBSCRIBE_LINK] = {"ss", {
		"Con Premium tenés análisis ilimitados por %s %s al mes. Tocá el botón para suscribirte.",
		"Premium gives you unlimited analyses for %s %s a month. Tap the button to subscribe."}},
	[CAL_MSG_LOOKING_UP] = {"s", {
		"🔎 No conozco todavía: %s. Lo estoy buscando y te aviso enseguida con el total completo.",
		"🔎 I don't know these yet: %s. I'm looking them up and will send you the full total shortly."}},
	[CAL_MSG_ALREADY_SUBSCRIBED] = {"", {
		"Ya tenés Premium activo 💪",
		"You already have Premium 💪"}},
	[CAL_MSG_LIMIT_REACHED] = {"d", {
		"Ya usaste los %d análisis gratis de hoy. Con Premium son ilimitados.",
		"You've used today's %d free analyses. With Premium they're unlimited."}},
	[CAL_MSG_REC_UNDER] = {"d", {
		"Te faltan %d kcal para tu meta de hoy; sumá una comida nutritiva.",
		"You are %d kcal under today's goal; add a nutritious meal."}},
	[CAL_MSG_REC_OVER] = {"d", {
		"Hoy te pasaste %d kcal de tu meta; mañana es otro día.",
		"You are %d kcal over today's goal; tomorrow is another day."}},
	[CAL_MSG_REC_CLOSE] = {"", {
		"¡Vas muy cerca de tu meta de hoy! 👌",
		"You're right on track for today's goal! 👌"}},
	[CAL_MSG_REC_PROTEIN_LOW] = {"dd", {
		"Proteínas: %d de %d g. Sumá huevo, carne, pollo, pescado, legumbres o lácteos.",
		"Protein: %d of %d g. Add eggs, meat, chicken, fish, legumes or dairy."}},
	[CAL_MSG_REC_FIBER_LOW] = {"f", {
		"Fibra: %.0f g, menos de 20 g. Sumá verduras, frutas, legumbres o integrales.",
		"Fiber: %.0f g, under 20 g. Add vegetables, fruit, legumes or whole grains."}},
	[CAL_MSG_REC_SODIUM_HIGH] = {"f", {
		"Sodio: %.0f mg, más de 2000 mg. Ojo con la sal y los ultraprocesados.",
		"Sodium: %.0f mg, over 2000 mg. Go easy on salt and processed food."}},
	[CAL_MSG_PROFILE_UPDATED] = {"", {"Actualicé tu perfil.", "I updated your profile."}},
	[CAL_MSG_SUB_ACTIVE] = {"s", {
		"¡Gracias! Tu Premium está activo hasta el %s 🎉",
		"Thank you! Your Premium is active until %s 🎉"}},
	[CAL_MSG_SUB_PAUSED] = {"", {
		"Tu suscripción quedó en pausa.",
		"Your subscription is paused."}},
	[CAL_MSG_SUB_CANCELLED] = {"s", {
		"Cancelaste tu suscripción. Seguís con Premium hasta el %s.",
		"You cancelled your subscription. You keep Premium until %s."}},
	[CAL_MSG_SUB_PAYMENT_FAILED] = {"", {
		"No pudimos cobrar tu suscripción. Revisá tu medio de pago en MercadoPago.",
		"We couldn't charge your subscription. Please check your payment method in MercadoPago."}},
	[CAL_MSG_SUB_REVOKED] = {"", {
		"Tu pago fue devuelto, así que tu Premium quedó desactivado.",
		"Your payment was refunded, so your Premium has been turned off."}},
	[CAL_MSG_TRIAL_ENDED] = {"d", {
		"Terminó tu prueba gratis. Desde ahora tenés %d análisis gratis por día; con Premium son ilimitados.",
		"Your free trial has ended. From now on you get %d free analyses a day; with Premium they're unlimited."}},
	[CAL_MSG_PLAN_UNTIL] = {"ss", {"%s hasta el %s", "%s until %s"}},
	[CAL_MSG_DELETE_ASK] = {"", {
		"Esto borra tu perfil, tus comidas y tus estadísticas para siempre (de los pagos queda solo el registro "
		"contable, anónimo). Para confirmar, escribí: CONFIRMAR BORRADO (en los próximos 10 minutos).",
		"This erases your profile, meals and statistics for good (of payments only the anonymous accounting "
		"record remains). To confirm, send: CONFIRM DELETE (within the next 10 minutes)."}},
	[CAL_MSG_DELETE_DONE] = {"", {
		"Listo: borramos todos tus datos. Si volvés a escribir, empezás de cero.",
		"Done: all your data has been erased. If you write again, you start from scratch."}},
	[CAL_MSG_DELETE_NOT_ASKED] = {"", {
		"Para borrar tus datos, primero escribí: borrar mis datos.",
		"To erase your data, first send: delete my data."}},
};

/* What an out-of-range message id says: harmless, and it never has conversions. */
static const char *const fallback[CAL_LANG__MAX] = {"…", "…"};

static cal_lang lang_ok(cal_lang lang)
{
	return ((int)lang >= 0 && lang < CAL_LANG__MAX) ? lang : CAL_LANG_ES;
}

const char *cal_i18n(cal_msg m, cal_lang lang)
{
	lang = lang_ok(lang);
	if ((int)m < 0 || m >= CAL_MSG__MAX || catalogue[m].text[lang] == NULL)
		return fallback[lang];
	return catalogue[m].text[lang];
}

const char *cal_i18n_args(cal_msg m)
{
	if ((int)m < 0 || m >= CAL_MSG__MAX || catalogue[m].args == NULL)
		return "";
	return catalogue[m].args;
}

const char *cal_i18n_lang_code(cal_lang lang)
{
	return lang_ok(lang) == CAL_LANG_EN ? "en" : "es";
}

/* Cuts s (len bytes) to at most max bytes at a UTF-8 character boundary, ending with "…" when cut. */
static void cap_text(char *s, size_t len, size_t max)
{
	static const char ellipsis[] = "\xe2\x80\xa6";
	size_t cut;

	if (len <= max)
		return;
	cut = max - (sizeof(ellipsis) - 1);
	/* step back over continuation bytes so no character is split */
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	memcpy(s + cut, ellipsis, sizeof(ellipsis));
}

/*
 * The format is not a literal, but it only ever comes from the static table above, whose conversions the
 * unit test checks against each row's args in both languages; that test is the compiler's check here.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
char *cal_i18n_vprintf(cal_arena *a, cal_msg m, cal_lang lang, va_list ap)
{
	char *s = cal_arena_vprintf(a, cal_i18n(m, lang), ap);

	cap_text(s, strlen(s), CAL_I18N_TEXT_MAX);
	return s;
}
#pragma GCC diagnostic pop

char *cal_i18n_printf(cal_arena *a, cal_msg m, cal_lang lang, ...)
{
	va_list ap;
	char *s;

	va_start(ap, lang);
	s = cal_i18n_vprintf(a, m, lang, ap);
	va_end(ap);
	return s;
}

static const cal_msg questions[CAL_QUIZ_STEPS + 1] = {
	CAL_MSG__MAX, CAL_MSG_Q_GENDER, CAL_MSG_Q_AGE, CAL_MSG_Q_WEIGHT, CAL_MSG_Q_HEIGHT, CAL_MSG_Q_ACTIVITY,
	CAL_MSG_Q_GOAL,
};

static const cal_msg accepts[CAL_QUIZ_STEPS + 1] = {
	CAL_MSG__MAX, CAL_MSG_ACCEPT_GENDER, CAL_MSG_ACCEPT_AGE, CAL_MSG_ACCEPT_WEIGHT, CAL_MSG_ACCEPT_HEIGHT,
	CAL_MSG_ACCEPT_ACTIVITY, CAL_MSG_ACCEPT_GOAL,
};

cal_msg cal_i18n_quiz_question(int step)
{
	return (step >= 1 && step <= CAL_QUIZ_STEPS) ? questions[step] : CAL_MSG__MAX;
}

cal_msg cal_i18n_quiz_accept(int step)
{
	return (step >= 1 && step <= CAL_QUIZ_STEPS) ? accepts[step] : CAL_MSG__MAX;
}

static const char *const gender_labels[CAL_GENDER__MAX][CAL_LANG__MAX] = {
	[CAL_GENDER_MALE] = {"Hombre", "Male"},
	[CAL_GENDER_FEMALE] = {"Mujer", "Female"},
	[CAL_GENDER_OTHER] = {"Otro", "Other"},
};

static const char *const activity_labels[CAL_ACTIVITY__MAX][CAL_LANG__MAX] = {
	[CAL_ACTIVITY_SEDENTARY] = {"sedentario", "sedentary"},
	[CAL_ACTIVITY_LIGHT] = {"ligero", "lightly active"},
	[CAL_ACTIVITY_MODERATE] = {"moderado", "moderately active"},
	[CAL_ACTIVITY_VERY] = {"activo", "very active"},
	[CAL_ACTIVITY_EXTRA] = {"muy activo", "extra active"},
};

static const char *const goal_labels[CAL_GOAL__MAX][CAL_LANG__MAX] = {
	[CAL_GOAL_LOSE] = {"perder peso", "lose weight"},
	[CAL_GOAL_MAINTAIN] = {"mantener el peso", "maintain weight"},
	[CAL_GOAL_GAIN] = {"ganar peso", "gain weight"},
	[CAL_GOAL_MUSCLE] = {"ganar músculo", "build muscle"},
};

static const struct {
	const char *status;
	const char *label[CAL_LANG__MAX];
} subscription_labels[] = {
	{"none", {"sin plan", "no plan"}},
	{"trial", {"prueba gratis", "free trial"}},
	{"trial_expired", {"prueba terminada", "trial ended"}},
	{"pending", {"pago pendiente", "payment pending"}},
	{"active", {"Premium activo", "Premium, active"}},
	{"paused", {"Premium en pausa", "Premium, paused"}},
	{"cancelled", {"Premium cancelado", "Premium, cancelled"}},
	{"payment_failed", {"pago rechazado", "payment failed"}},
};

const char *cal_i18n_gender_label(cal_gender g, cal_lang lang)
{
	return (g > CAL_GENDER_NONE && g < CAL_GENDER__MAX) ? gender_labels[g][lang_ok(lang)] : "?";
}

const char *cal_i18n_activity_label(cal_activity a, cal_lang lang)
{
	return (a > CAL_ACTIVITY_NONE && a < CAL_ACTIVITY__MAX) ? activity_labels[a][lang_ok(lang)] : "?";
}

const char *cal_i18n_goal_label(cal_goal g, cal_lang lang)
{
	return (g > CAL_GOAL_NONE && g < CAL_GOAL__MAX) ? goal_labels[g][lang_ok(lang)] : "?";
}

const char *cal_i18n_subscription_label(const char *status, cal_lang lang)
{
	size_t i;

	for (i = 0; status != NULL && i < sizeof(subscription_labels) / sizeof(subscription_labels[0]); i++)
		if (strcmp(status, subscription_labels[i].status) == 0)
			return subscription_labels[i].label[lang_ok(lang)];
	return "?";
}

/* "es", "ES", "es_AR", "es-419", "es_AR.UTF-8": the code, then nothing or a separator and a region. */
static int is_locale_code(const char *s, const char *code)
{
	if (strncasecmp(s, code, 2) != 0)
		return 0;
	s += 2;
	if (*s == '\0')
		return 1;
	if (*s != '_' && *s != '-' && *s != '.')
		return 0;
	for (s++; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-' || *s == '.' || *s == '@'))
			return 0;
	}
	return 1;
}

/*
 * Locale → language. Codes: "es", "es_AR", "es-MX", "es_AR.UTF-8" (two letters, then end, "_", "-" or
 * "."); names: Spanish/español/espanol/castellano, English/inglés. Everything else is unknown.
 */
int cal_i18n_lang_from_locale(const char *locale, cal_lang *out)
{
	static const struct {
		const char *name;
		cal_lang lang;
	} names[] = {
		{"spanish", CAL_LANG_ES}, {"espanol", CAL_LANG_ES}, {"castellano", CAL_LANG_ES},
		{"english", CAL_LANG_EN}, {"ingles", CAL_LANG_EN},
	};
	char folded[64];
	size_t i;

	if (locale == NULL || strlen(locale) > 32)
		return -1;
	while (*locale == ' ')
		locale++;
	if (is_locale_code(locale, "es")) {
		*out = CAL_LANG_ES;
		return 0;
	}
	if (is_locale_code(locale, "en")) {
		*out = CAL_LANG_EN;
		return 0;
	}
	cal_quiz_fold(locale, folded, sizeof(folded));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(folded, names[i].name) == 0) {
			*out = names[i].lang;
			return 0;
		}
	}
	return -1;
}
