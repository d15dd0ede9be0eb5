/*
 * The message catalogue (SPEC §5.4: friendly, short, emoji sparingly): one row per cal_msg with the
 * conversions it takes and its Spanish (rioplatense, as the error table) and English text, plus the labels
 * used inside messages and the locale → language mapping. Keeping every text in one table is what lets a
 * test prove that both languages exist and take the same arguments.
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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
		"• hoy: tus comidas de hoy, numeradas, y tus totales\n"
		"• semana: tus días desde que empezaste (hasta 7)\n"
		"• deshacer: borra tu último registro de hoy\n"
		"• borrar 2: borra la comida 2 de la lista de hoy\n"
		"• cambiar 2 por …: corrige la comida 2 de hoy\n"
		"• estado: tu perfil, tu meta y tu plan\n"
		"• quiz: volver a hacer el cuestionario\n"
		"• reiniciar: borrar tu perfil y empezar de cero\n"
		"• premium: suscribirte\n"
		"• english: switch to English\n"
		"• ayuda: este mensaje",
		"Here's how to use me 👇\n"
		"• Tell me what you ate, for example: \"2 scrambled eggs and a toast\".\n"
		"• today: today's meals, numbered, and your totals\n"
		"• week: your days since you started (up to 7)\n"
		"• undo: removes your last log of today\n"
		"• delete 2: removes meal 2 of today's list\n"
		"• change 2 to …: corrects meal 2 of today\n"
		"• status: your profile, goal and plan\n"
		"• quiz: take the questionnaire again\n"
		"• reset: clear your profile and start over\n"
		"• subscribe: get Premium\n"
		"• español: cambiar a español\n"
		"• help: this message"}},
	[CAL_MSG_WELCOME] = {"", {
		"¡Hola! Soy Caloria 👋 Te ayudo a llevar la cuenta de lo que comés. Primero, unas preguntas rápidas "
		"para calcular tu meta diaria de calorías.\n(I also speak English: write \"english\".)",
		"Hi! I'm Caloria 👋 I help you keep track of what you eat. First, a few quick questions to work out "
		"your daily calorie goal.\n(También hablo español: escribí \"español\".)"}},
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
	[CAL_MSG_QUIZ_DONE] = {"ddddd", {
		"¡Listo! 🎉 Tu plan:\n"
		"• Metabolismo basal: %d kcal\n"
		"• Meta diaria: %d kcal\n"
		"• Proteínas %d g · Carbohidratos %d g · Grasas %d g",
		"Done! 🎉 Your plan:\n"
		"• Basal metabolic rate: %d kcal\n"
		"• Daily goal: %d kcal\n"
		"• Protein %d g · Carbs %d g · Fat %d g"}},
	[CAL_MSG_TRIAL_STARTED] = {"s", {"Tu prueba gratis de %s ya empezó.", "Your free trial of %s has started."}},
	[CAL_MSG_HOW_TO_LOG] = {"", {
		"Para registrar una comida, escribime qué comiste y cuánto, por ejemplo: \"200 g de pollo con "
		"ensalada\" o \"un café con leche y dos medialunas\". También podés mandarme una foto o un audio.",
		"To log a meal, write what you ate and how much, for example: \"200 g of chicken with salad\" or "
		"\"1 cup of oatmeal with a banana\". You can also send me a photo or a voice note."}},
	[CAL_MSG_FORM_INVALID] = {"s", {
		"Faltan datos o no son válidos: %s. Revisalos y mandá el formulario de nuevo.",
		"Some answers are missing or not valid: %s. Please check them and send the form again."}},
	[CAL_MSG_RESET_DONE] = {"", {
		"Borré tu perfil. Empecemos de nuevo.",
		"I cleared your profile. Let's start again."}},
	[CAL_MSG_LANGUAGE_SET] = {"", {
		"Listo, ahora te hablo en español.",
		"Done, I'll speak English from now on."}},
	[CAL_MSG_STATUS] = {"sdssssddddds", {
		"Tu perfil:\n"
		"• %s, %d años, %s kg, %s cm\n"
		"• Actividad: %s\n"
		"• Objetivo: %s\n"
		"• Metabolismo basal: %d kcal\n"
		"• Meta diaria: %d kcal (proteínas %d g · carbohidratos %d g · grasas %d g)\n"
		"• Plan: %s",
		"Your profile:\n"
		"• %s, %d years, %s kg, %s cm\n"
		"• Activity: %s\n"
		"• Goal: %s\n"
		"• Basal metabolic rate: %d kcal\n"
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
	[CAL_MSG_FOOD_ITEM] = {"sd", {"• %s: %d kcal", "• %s: %d kcal"}},
	[CAL_MSG_FOOD_ITEM_UNMATCHED] = {"s", {
		"• %s: no lo reconocí, no lo sumé",
		"• %s: not recognised, not counted"}},
	[CAL_MSG_FOOD_TOTAL] = {"dddd", {
		"Esta comida: %d kcal · proteínas %d g · carbohidratos %d g · grasas %d g",
		"This meal: %d kcal · protein %d g · carbs %d g · fat %d g"}},
	[CAL_MSG_DAY_PROGRESS] = {"ddd", {
		"Hoy llevás %d de %d kcal; te quedan %d.",
		"Today: %d of %d kcal; %d left."}},
	[CAL_MSG_DAY_OVER] = {"ddd", {
		"Hoy llevás %d de %d kcal; te pasaste por %d. Mañana es otro día.",
		"Today: %d of %d kcal; %d over. Tomorrow is another day."}},
	[CAL_MSG_FOOD_UNCLEAR] = {"", {
		"No reconocí ningún alimento 🤔 Probá con algo como \"2 huevos y una tostada\" o \"200 g de arroz\".",
		"I couldn't recognise any food 🤔 Try something like \"2 eggs and a toast\" or \"200 g of rice\"."}},
	[CAL_MSG_FOOD_TOO_HEAVY] = {"sf", {
		"¿%s, %.0f g? Es mucho más de lo que entra en una comida, así que no lo anoté. "
		"Si fue así, contámelo por partes; si no, escribí de nuevo la cantidad (por ejemplo \"50 g\").",
		"%s, %.0f g? That is far more than one meal holds, so I didn't log it. "
		"If it's right, tell me in parts; if not, write the amount again (for example \"50 g\")."}},
	[CAL_MSG_FOOD_TOO_MUCH] = {"f", {
		"Eso suma unas %.0f kcal en una sola comida, más de lo posible, así que no lo anoté. "
		"¿Revisás las cantidades y me lo escribís de nuevo?",
		"That adds up to about %.0f kcal in one meal, more than is possible, so I didn't log it. "
		"Could you check the amounts and write it again?"}},
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
	[CAL_MSG_TRANSCRIPT_UNCLEAR] = {"s", {
		"🎤 Entendí: \"%s\"\nNo reconocí ningún alimento 🤔 ¿Me contás qué comiste, como \"2 huevos y una tostada\"?",
		"🎤 I heard: \"%s\"\nI couldn't recognise any food 🤔 Could you tell me what you ate, like \"2 eggs and a toast\"?"}},
	[CAL_MSG_JOB_FAILED] = {"", {
		"Perdón, no pude analizar eso. ¿Me contás por escrito qué comiste?",
		"Sorry, I couldn't analyse that. Could you tell me in words what you ate?"}},
	[CAL_MSG_DAY_SUMMARY] = {"ssdd", {
		"Resumen del %s: %s, %d de %d kcal.",
		"Summary for %s: %s, %d of %d kcal."}},
	[CAL_MSG_DAY_MACROS] = {"dddddd", {
		"Proteínas %d/%d g · Carbohidratos %d/%d g · Grasas %d/%d g",
		"Protein %d/%d g · Carbs %d/%d g · Fat %d/%d g"}},
	[CAL_MSG_DAY_EMPTY] = {"", {
		"Todavía no registraste nada hoy. Contame qué comiste.",
		"Nothing logged today yet. Tell me what you ate."}},
	[CAL_MSG_WEEK_HEAD] = {"", {"Tus últimos 7 días:", "Your last 7 days:"}},
	[CAL_MSG_WEEK_LINE] = {"sdd", {"• %s: %d / %d kcal", "• %s: %d / %d kcal"}},
	[CAL_MSG_WEEK_AVERAGE] = {"ds", {
		"Promedio: %d kcal por día (%s con registros).",
		"Average: %d kcal a day (%s with logs)."}},
	[CAL_MSG_WEEK_EMPTY] = {"", {
		"Todavía no registraste comidas. Contame qué comiste y lo anoto.",
		"You haven't logged any meals yet. Tell me what you ate and I'll log it."}},
	[CAL_MSG_UNDONE] = {"sd", {
		"Borré: %s, %d kcal.",
		"Removed: %s, %d kcal."}},
	[CAL_MSG_NOTHING_TO_UNDO] = {"", {
		"No hay nada para deshacer hoy.",
		"There is nothing to undo today."}},
	[CAL_MSG_SUBSCRIBE_LINK] = {"ss", {
		"Con Premium tenés análisis ilimitados por %s %s al mes. Tocá el botón para suscribirte.",
		"Premium gives you unlimited analyses for %s %s a month. Tap the button to subscribe."}},
	[CAL_MSG_LOOKING_UP] = {"s", {
		"🔎 No conozco todavía: %s. Lo estoy buscando y te aviso enseguida con el total completo.",
		"🔎 I don't know these yet: %s. I'm looking them up and will send you the full total shortly."}},
	[CAL_MSG_LOOKUP_FAILED] = {"s", {
		"No pude encontrar %s, así que quedó fuera del total. Si me decís qué es (o cuántos gramos), lo anoto.",
		"I couldn't find %s, so it stays out of the total. Tell me what it is (or how many grams) and I'll log it."}},
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
	[CAL_MSG_EDITED] = {"dsdsd", {
		"Corregí la comida %d: ahora %s, %d kcal (antes %s, %d kcal).",
		"Changed meal %d: now %s, %d kcal (before: %s, %d kcal)."}},
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
	[CAL_MSG_DAY_CLOSE] = {"ddd", {
		"Hoy llevás %d de %d kcal; te quedan %d: ¡vas muy cerca de tu meta! 👌",
		"Today: %d of %d kcal; %d left: you're right on track! 👌"}},
	[CAL_MSG_DAY_JUST_OVER] = {"ddd", {
		"Hoy llevás %d de %d kcal; te pasaste por %d, casi justo en tu meta.",
		"Today: %d of %d kcal; %d over, just about on your goal."}},
	[CAL_MSG_TODAY_HEAD] = {"s", {"Hoy, %s:", "Today, %s:"}},
	[CAL_MSG_TODAY_ENTRY] = {"dssd", {"%d. %s · %s · %d kcal", "%d. %s · %s · %d kcal"}},
	[CAL_MSG_TODAY_HINT] = {"", {
		"Para borrar una comida, escribí \"borrar\" y su número (\"borrar 1\"); para corregirla, \"cambiar 1 "
		"por …\".",
		"To delete a meal, write \"delete\" and its number (\"delete 1\"); to correct it, \"change 1 to …\"."}},
	[CAL_MSG_WEEK_SINCE] = {"s", {"Tus días desde que empezaste, el %s:", "Your days since you started on %s:"}},
	[CAL_MSG_WEEK_LINE_EMPTY] = {"s", {"• %s: sin registros", "• %s: nothing logged"}},
	[CAL_MSG_DELETED] = {"dsd", {
		"Borré la comida %d de hoy: %s, %d kcal.",
		"Removed meal %d of today: %s, %d kcal."}},
	[CAL_MSG_NO_SUCH_ENTRY] = {"d", {
		"Hoy no hay una comida número %d. Escribí \"hoy\" para ver la lista.",
		"There is no meal number %d today. Write \"today\" to see the list."}},
	[CAL_MSG_RESET_CONFIRM] = {"", {
		"¿Seguro que querés borrar tu perfil y hacer el cuestionario de nuevo? Tus comidas registradas no se "
		"borran.\nPara confirmar, escribí \"sí, reiniciar\". Si no, seguí como siempre.",
		"Are you sure you want to clear your profile and take the questionnaire again? Your logged meals "
		"stay.\nTo confirm, write \"yes, reset\". Otherwise just carry on."}},
	[CAL_MSG_RESET_KEPT] = {"", {"Listo, tu perfil queda como está.", "OK, your profile stays as it is."}},
	[CAL_MSG_BTN_RESET_YES] = {"", {"Sí, reiniciar", "Yes, reset"}},
	[CAL_MSG_BTN_RESET_NO] = {"", {"No, dejarlo", "No, keep it"}},
	[CAL_MSG_SMALL_THANKS] = {"", {
		"¡De nada! 😊 Cuando comas algo, contame y lo anoto.",
		"You're welcome! 😊 When you eat something, tell me and I'll log it."}},
	[CAL_MSG_SMALL_OK] = {"", {
		"👍 Cuando quieras, contame qué comiste.",
		"👍 Whenever you like, tell me what you ate."}},
	[CAL_MSG_SMALL_HELLO] = {"s", {
		"¡Hola%s! 👋 ¿Qué comiste? Contame y lo anoto.",
		"Hi%s! 👋 What did you eat? Tell me and I'll log it."}},
	[CAL_MSG_SMALL_BYE] = {"", {"¡Hasta luego! 👋", "Bye for now! 👋"}},
	[CAL_MSG_Q_TIMEZONE] = {"", {
		"Una última pregunta: ¿en qué país o ciudad estás? Así tu \"hoy\" empieza a tu medianoche. "
		"También podés escribir tu hora respecto de UTC, por ejemplo \"UTC-3\".",
		"One last question: which country or city are you in? That way your \"today\" starts at your "
		"midnight. You can also write your UTC offset, for example \"UTC-5\"."}},
	[CAL_MSG_ACCEPT_TIMEZONE] = {"", {
		"el nombre de tu país o ciudad (Argentina, México, Madrid…) o tu diferencia con UTC, por ejemplo "
		"\"-3\" o \"UTC+1\".",
		"the name of your country or city (United States, London, Mexico…) or your UTC offset, for example "
		"\"-5\" or \"UTC+1\"."}},
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

static const cal_msg questions[CAL_QUIZ_LAST_STEP + 1] = {
	CAL_MSG__MAX, CAL_MSG_Q_GENDER, CAL_MSG_Q_AGE, CAL_MSG_Q_WEIGHT, CAL_MSG_Q_HEIGHT, CAL_MSG_Q_ACTIVITY,
	CAL_MSG_Q_GOAL, CAL_MSG_Q_TIMEZONE,
};

static const cal_msg accepts[CAL_QUIZ_LAST_STEP + 1] = {
	CAL_MSG__MAX, CAL_MSG_ACCEPT_GENDER, CAL_MSG_ACCEPT_AGE, CAL_MSG_ACCEPT_WEIGHT, CAL_MSG_ACCEPT_HEIGHT,
	CAL_MSG_ACCEPT_ACTIVITY, CAL_MSG_ACCEPT_GOAL, CAL_MSG_ACCEPT_TIMEZONE,
};

cal_msg cal_i18n_quiz_question(int step)
{
	return (step >= 1 && step <= CAL_QUIZ_LAST_STEP) ? questions[step] : CAL_MSG__MAX;
}

cal_msg cal_i18n_quiz_accept(int step)
{
	return (step >= 1 && step <= CAL_QUIZ_LAST_STEP) ? accepts[step] : CAL_MSG__MAX;
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

/* ---- words: counts, plurals, quantities, items, dates ------------------------------------------------- */

static const char *const nouns[CAL_NOUN__MAX][CAL_LANG__MAX][2] = {
	[CAL_NOUN_MEAL] = {{"comida", "comidas"}, {"meal", "meals"}},
	[CAL_NOUN_DAY] = {{"día", "días"}, {"day", "days"}},
	[CAL_NOUN_ITEM] = {{"alimento", "alimentos"}, {"item", "items"}},
};

const char *cal_i18n_count(cal_arena *a, cal_lang lang, int n, cal_noun noun)
{
	if ((int)noun < 0 || noun >= CAL_NOUN__MAX)
		return cal_arena_printf(a, "%d", n);
	return cal_arena_printf(a, "%d %s", n, nouns[noun][lang_ok(lang)][n == 1 ? 0 : 1]);
}

static bool ends_with(const char *w, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(w + n - k, suffix, k) == 0;
}

/* One Spanish word in the plural (RAE's regular rules): vowel +s, -z → -ces, stressed -ón/-án/… lose the
 * accent and take -es, -s and -x stay, other consonants take -es. */
static void plural_es(cal_buf *b, const char *w, size_t n)
{
	static const struct {
		const char *from, *to;
	} stressed[] = {{"\xc3\xb3n", "ones"}, {"\xc3\xa1n", "anes"}, {"\xc3\xa9n", "enes"}, {"\xc3\xadn", "ines"},
			{"\xc3\xban", "unes"}, {"\xc3\xa9s", "eses"}, {"\xc3\xa1s", "ases"}};
	char last = n > 0 ? w[n - 1] : '\0';

	for (size_t i = 0; i < sizeof stressed / sizeof stressed[0]; i++) {
		if (ends_with(w, n, stressed[i].from)) {
			cal_buf_printf(b, "%.*s%s", (int)(n - strlen(stressed[i].from)), w, stressed[i].to);
			return;
		}
	}
	cal_buf_printf(b, "%.*s", (int)n, w);
	if (strchr("aeiou", last) != NULL || ends_with(w, n, "\xc3\xa9") || ends_with(w, n, "\xc3\xa1") ||
	    ends_with(w, n, "\xc3\xb3"))
		cal_buf_puts(b, "s");
	else if (last == 'z') {
		b->data[b->len - 1] = 'c';
		cal_buf_puts(b, "es");
	}
	else if (last == 's' || last == 'x' || !((last >= 'a' && last <= 'z') || (last >= 'A' && last <= 'Z') ||
						   (unsigned char)last >= 0x80))
		return;
	else
		cal_buf_puts(b, "es");
}

/* One English noun in the plural: -s/-x/-z/-ch/-sh +es, consonant + y → -ies, a few -o words +es; a word
 * already ending in s (fries, oats) is taken as plural. */
static void plural_en(cal_buf *b, const char *w, size_t n)
{
	static const char *const es_o[] = {"potato", "tomato", "mango", "hero", NULL};
	char last = n > 0 ? w[n - 1] : '\0';
	char prev = n > 1 ? w[n - 2] : '\0';

	cal_buf_printf(b, "%.*s", (int)n, w);
	if (last == 's' && prev != 's')
		return;
	if (last == 's' || last == 'x' || last == 'z' || ends_with(w, n, "ch") || ends_with(w, n, "sh")) {
		cal_buf_puts(b, "es");
		return;
	}
	if (last == 'y' && prev != '\0' && strchr("aeiou", prev) == NULL) {
		b->data[b->len - 1] = 'i';
		cal_buf_puts(b, "es");
		return;
	}
	for (size_t i = 0; es_o[i] != NULL; i++) {
		if (ends_with(w, n, es_o[i])) {
			cal_buf_puts(b, "es");
			return;
		}
	}
	if ((last >= 'a' && last <= 'z') || (last >= 'A' && last <= 'Z'))
		cal_buf_puts(b, "s");
}

/* Words that end the head of a name: "ensalada | de lechuga", "cup | of coffee". */
static bool is_link_word(cal_lang lang, const char *w, size_t n)
{
	static const char *const es[] = {"de", "del", "con", "a", "al", "en", "sin", "y", "e", "para", "la", "el", NULL};
	static const char *const en[] = {"of", "with", "and", "in", "on", "without", "a", "an", "the", NULL};
	const char *const *list = lang == CAL_LANG_EN ? en : es;

	for (size_t i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == n && strncasecmp(w, list[i], n) == 0)
			return true;
	return false;
}

/*
 * The language of a food name, which is the language of the table entry it matched, not the user's: English
 * spellings Spanish never uses (k, w, sh, th, ee, oo, ea, oa, -ed) or a word ending in a consonant Spanish
 * words do not end in ("egg", "toast").
 */
static cal_lang name_lang(const char *name, cal_lang otherwise)
{
	static const char *const marks[] = {"k", "w", "sh", "th", "ee", "oo", "ea", "oa", "ed ", NULL};
	size_t n = strlen(name);

	for (size_t i = 0; marks[i] != NULL; i++)
		if (strstr(name, marks[i]) != NULL)
			return CAL_LANG_EN;
	for (size_t i = 0; i < n; i++) {
		char c = name[i], next = name[i + 1];
		bool end = next == ' ' || next == '\0';
		if (end && c >= 'a' && c <= 'z' && strchr("aeiounsrldzjy", c) == NULL)
			return CAL_LANG_EN;
		if (end && c == 'd' && i > 0 && name[i - 1] == 'e')
			return CAL_LANG_EN;
	}
	/* Spanish spellings: ñ and accents, "de"/"con" linking, words ending in -o */
	if (strstr(name, "\xc3") != NULL || strstr(name, " de ") != NULL || strstr(name, " con ") != NULL)
		return CAL_LANG_ES;
	for (size_t i = 0; i < n; i++)
		if (name[i] == 'o' && (name[i + 1] == ' ' || name[i + 1] == '\0') &&
		    !(i >= 3 && strncmp(name + i - 3, "tato", 4) == 0) && !(i >= 3 && strncmp(name + i - 3, "mato", 4) == 0))
			return CAL_LANG_ES; /* "revuelto", not "potato" or "tomato" */
	return otherwise;
}

/*
 * The plural of a food name: in Spanish every word of the head agrees ("huevo revuelto" → "huevos
 * revueltos"), in English only its last word changes ("scrambled egg" → "scrambled eggs"); what follows a
 * linking word ("de", "con", "of", "with") stays as it is.
 */
const char *cal_i18n_plural(cal_arena *a, cal_lang lang, const char *name)
{
	const char *p = name != NULL ? name : "", *head_end;
	cal_buf b;
	char *out;

	lang = name_lang(p, lang_ok(lang));
	/* The head: the words before the first linking word. */
	for (head_end = p; *head_end != '\0';) {
		const char *w = head_end + strspn(head_end, " ");
		size_t n = strcspn(w, " ");
		if (n == 0 || (w != p && is_link_word(lang, w, n)))
			break;
		head_end = w + n;
	}
	cal_buf_init(&b);
	for (const char *w = p; w < head_end;) {
		size_t sp = strspn(w, " "), n;
		cal_buf_printf(&b, "%.*s", (int)sp, w);
		w += sp;
		n = strcspn(w, " ");
		if (n > (size_t)(head_end - w))
			n = (size_t)(head_end - w);
		bool last = w + n >= head_end;
		if (lang == CAL_LANG_ES)
			plural_es(&b, w, n);
		else if (last)
			plural_en(&b, w, n);
		else
			cal_buf_printf(&b, "%.*s", (int)n, w);
		w += n;
	}
	cal_buf_puts(&b, head_end);
	out = cal_arena_strdup(a, b.data != NULL ? b.data : "");
	cal_buf_free(&b);
	return out;
}

const char *cal_i18n_qty(cal_arena *a, cal_lang lang, double q)
{
	static const struct {
		double frac;
		const char *glyph;
	} fracs[] = {{0.25, "¼"}, {0.5, "½"}, {0.75, "¾"}};
	double whole = floor(q + 1e-9), frac = q - whole;
	char *s;

	if (!isfinite(q) || q < 0)
		return "?";
	if (fabs(frac) < 0.01)
		return cal_arena_printf(a, "%.0f", whole);
	for (size_t i = 0; i < 3; i++)
		if (fabs(frac - fracs[i].frac) < 0.01)
			return whole >= 1 ? cal_arena_printf(a, "%.0f%s", whole, fracs[i].glyph)
					  : cal_arena_strdup(a, fracs[i].glyph);
	s = cal_arena_printf(a, "%.1f", q);
	if (lang_ok(lang) == CAL_LANG_ES && strchr(s, '.') != NULL)
		*strchr(s, '.') = ',';
	return s;
}

const char *cal_i18n_decimal(cal_arena *a, cal_lang lang, double v)
{
	char *s = cal_arena_printf(a, "%.1f", v), *dot = strchr(s, '.');

	if (dot != NULL && dot[1] == '0')
		*dot = '\0';
	else if (dot != NULL && lang_ok(lang) == CAL_LANG_ES)
		*dot = ',';
	return s;
}

/* How a unit is said: a measure ("200 g de …") or a container counted in its own word ("2 tazas de …"). */
static const struct unit_words {
	const char *unit;
	bool measure;                    /* g, ml …: grams in brackets would repeat it */
	const char *word[CAL_LANG__MAX][2]; /* singular, plural */
} unit_words[] = {
	{"g", true, {{"g", "g"}, {"g", "g"}}},
	{"kg", true, {{"kg", "kg"}, {"kg", "kg"}}},
	{"ml", true, {{"ml", "ml"}, {"ml", "ml"}}},
	{"l", true, {{"l", "l"}, {"l", "l"}}},
	{"oz", false, {{"oz", "oz"}, {"oz", "oz"}}},
	{"lb", false, {{"lb", "lb"}, {"lb", "lb"}}},
	{"fl oz", false, {{"fl oz", "fl oz"}, {"fl oz", "fl oz"}}},
	{"cup", false, {{"taza", "tazas"}, {"cup", "cups"}}},
	{"tbsp", false, {{"cucharada", "cucharadas"}, {"tablespoon", "tablespoons"}}},
	{"tsp", false, {{"cucharadita", "cucharaditas"}, {"teaspoon", "teaspoons"}}},
	{"slice", false, {{"porción", "porciones"}, {"slice", "slices"}}},
	{"serving", false, {{"porción", "porciones"}, {"serving", "servings"}}},
	{"plate", false, {{"plato", "platos"}, {"plate", "plates"}}},
	{"glass", false, {{"vaso", "vasos"}, {"glass", "glasses"}}},
	{"can", false, {{"lata", "latas"}, {"can", "cans"}}},
	{"bottle", false, {{"botella", "botellas"}, {"bottle", "bottles"}}},
	{"handful", false, {{"puñado", "puñados"}, {"handful", "handfuls"}}},
	{"bowl", false, {{"bowl", "bowls"}, {"bowl", "bowls"}}},
	{"caña", false, {{"caña", "cañas"}, {"caña", "cañas"}}},
	{"pint", false, {{"pinta", "pintas"}, {"pint", "pints"}}},
	{"tercio", false, {{"tercio", "tercios"}, {"tercio", "tercios"}}},
	{"jarra", false, {{"jarra", "jarras"}, {"jug", "jugs"}}},
	{"shot", false, {{"shot", "shots"}, {"shot", "shots"}}},
	{"scoop", false, {{"bocha", "bochas"}, {"scoop", "scoops"}}},
	{"package", false, {{"paquete", "paquetes"}, {"package", "packages"}}},
};

const char *cal_i18n_item(cal_arena *a, cal_lang lang, const char *name, double qty, const char *unit,
			  double grams, double ml, bool with_amount)
{
	const struct unit_words *u = NULL;
	const char *q = cal_i18n_qty(a, lang, qty), *said;
	bool one = qty > 0 && qty <= 1.0 + 1e-9;
	int g = (int)lround(grams), v = (int)lround(ml);

	lang = lang_ok(lang);
	if (name == NULL || name[0] == '\0')
		name = "?";
	for (size_t i = 0; unit != NULL && i < sizeof unit_words / sizeof unit_words[0]; i++)
		if (strcmp(unit, unit_words[i].unit) == 0)
			u = &unit_words[i];
	if (!(qty > 0)) /* no quantity stored: the name alone */
		said = name;
	else if (u == NULL) /* counted things: "2 huevos revueltos", "½ palta", "1 banana" */
		said = cal_arena_printf(a, "%s %s", q, one ? name : cal_i18n_plural(a, lang, name));
	else if (strcmp(u->unit, "serving") == 0 && fabs(qty - 1.0) < 1e-9) /* a usual portion: "milanesa" */
		said = name;
	else
		said = cal_arena_printf(a, "%s %s %s %s", q, u->word[lang][one ? 0 : 1],
					lang == CAL_LANG_EN ? "of" : "de", name);
	if (!with_amount || (u != NULL && u->measure))
		return said;
	if (v > 0) /* what is drunk is said in millilitres: a can is 355 ml, whatever it weighs */
		return cal_arena_printf(a, "%s (%d ml)", said, v);
	if (g <= 0)
		return said;
	return cal_arena_printf(a, "%s (%d g)", said, g);
}

/* Days since 1970-01-01 of a "YYYY-MM-DD" that names a real date; -1 otherwise. */
static long civil_days(const char *ymd, int *month, int *mday)
{
	int y, m, d;
	char tail;
	struct tm tm;
	time_t t;

	if (ymd == NULL || sscanf(ymd, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 ||
	    d > 31 || y < 1970 || y > 9999)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	if (tm.tm_mday != d) /* 2026-02-30 */
		return -1;
	if (month != NULL)
		*month = m;
	if (mday != NULL)
		*mday = d;
	return (long)(t / 86400);
}

static const char *const weekdays[CAL_LANG__MAX][7] = {
	{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"},
	{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
};
static const char *const months[CAL_LANG__MAX][12] = {
	{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
	 "noviembre", "diciembre"},
	{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
	 "November", "December"},
};

int cal_i18n_weekday(const char *ymd)
{
	long days = civil_days(ymd, NULL, NULL);

	return days < 0 ? -1 : (int)((days + 4) % 7); /* 1970-01-01 was a Thursday */
}

const char *cal_i18n_date(cal_arena *a, cal_lang lang, const char *ymd, cal_date_style style)
{
	int m = 0, d = 0, wd = cal_i18n_weekday(ymd);

	lang = lang_ok(lang);
	if (wd < 0 || civil_days(ymd, &m, &d) < 0)
		return "";
	switch (style) {
	case CAL_DATE_DAY_MONTH: /* "3 de diciembre", "December 3" */
		return lang == CAL_LANG_EN ? cal_arena_printf(a, "%s %d", months[lang][m - 1], d)
					   : cal_arena_printf(a, "%d de %s", d, months[lang][m - 1]);
	case CAL_DATE_WEEKDAY_DAY: /* "jueves 3", "Thursday 3" */
		return cal_arena_printf(a, "%s %d", weekdays[lang][wd], d);
	case CAL_DATE_FULL:
	default: /* "jueves 3 de diciembre", "Thursday, December 3" */
		return lang == CAL_LANG_EN ? cal_arena_printf(a, "%s, %s %d", weekdays[lang][wd], months[lang][m - 1], d)
					   : cal_arena_printf(a, "%s %d de %s", weekdays[lang][wd], d, months[lang][m - 1]);
	}
}

int cal_i18n_local_date(const char *rfc3339, int offset_min, char out[11])
{
	struct tm tm;
	int y, mo, d, h, mi, s;
	time_t t;

	if (rfc3339 == NULL || sscanf(rfc3339, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm) + (time_t)offset_min * 60;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
	return 0;
}

/*
 * The language of a first message, from its small words: English "hi", "hello", "I had…", "the", "and"
 * against Spanish "hola", "comí", "con", "y", "de". Only a clear lead counts.
 */
int cal_i18n_guess_lang(const char *text, cal_lang *out)
{
	static const char *const en[] = {
		"hi", "hello", "hey", "i", "im", "had", "ate", "have", "the", "and", "with", "of", "my", "for",
		"good", "morning", "evening", "breakfast", "lunch", "dinner", "some", "an", "what", "how", "thanks",
		"thank", "you", "please", "eggs", "egg", "toast", "chicken", "cup", "coffee", NULL,
	};
	static const char *const es[] = {
		"hola", "buenas", "buen", "dia", "comi", "desayune", "almorce", "cene", "con", "y", "de", "del",
		"el", "la", "los", "las", "un", "una", "unos", "unas", "que", "gracias", "huevos", "huevo",
		"tostada", "pollo", "taza", "cafe", "mi", "para", NULL,
	};
	char buf[512];
	int score = 0;

	if (text == NULL || strlen(text) >= sizeof buf / 2)
		return -1;
	cal_quiz_fold(text, buf, sizeof buf);
	for (char *w = buf; *w != '\0';) {
		size_t n = strcspn(w, " ,.;:!?'\"");
		for (size_t i = 0; en[i] != NULL; i++)
			if (strlen(en[i]) == n && strncmp(w, en[i], n) == 0)
				score++;
		for (size_t i = 0; es[i] != NULL; i++)
			if (strlen(es[i]) == n && strncmp(w, es[i], n) == 0)
				score--;
		w += n;
		w += strspn(w, " ,.;:!?'\"");
	}
	if (score == 0)
		return -1;
	*out = score > 0 ? CAL_LANG_EN : CAL_LANG_ES;
	return 0;
}
