"""Two short sentences in each professional-cloning language, with the espeak-ng voice that reads them.

Used to make test and benchmark speech (espeak-ng), and to build wrong-text
variants (the other sentence, a word of the other sentence put in). Japanese is
written in kana because espeak-ng does not read kanji; Filipino, which espeak-ng
does not speak, is read by its Indonesian voice (the spelling is close to
phonetic in both).
"""
from __future__ import annotations

VOICES = {"zh": "cmn", "fil": "id", "no": "nb"}

SENTENCES: dict[str, tuple[str, str]] = {
    "zh": ("今天天气很好，我们去公园散步吧。", "他每天早上七点起床，然后去上班。"),
    "ko": ("오늘은 날씨가 정말 좋습니다.", "저는 매일 아침 커피를 마십니다."),
    "nl": ("Het weer is vandaag erg mooi en we gaan wandelen.", "Mijn broer woont al tien jaar in Amsterdam."),
    "tr": ("Bugün hava çok güzel, parka yürüyüşe gidelim.", "Kardeşim on yıldır İstanbul'da yaşıyor."),
    "sv": ("Vädret är mycket fint idag och vi går på promenad.", "Min bror har bott i Stockholm i tio år."),
    "id": ("Cuaca hari ini sangat cerah dan kami pergi ke taman.", "Saudara saya sudah tinggal di Jakarta selama sepuluh tahun."),
    "fil": ("Maganda ang panahon ngayon kaya maglakad tayo sa parke.", "Ang kapatid ko ay nakatira sa Maynila ng sampung taon."),
    "ja": ("きょうは てんきが とても いいです。", "わたしは まいあさ コーヒーを のみます。"),
    "uk": ("Сьогодні дуже гарна погода, ходімо гуляти в парк.", "Мій брат живе в Києві вже десять років."),
    "el": ("Ο καιρός είναι πολύ ωραίος σήμερα και πάμε βόλτα.", "Ο αδελφός μου μένει στην Αθήνα δέκα χρόνια."),
    "cs": ("Dnes je velmi hezké počasí, pojďme se projít do parku.", "Můj bratr žije v Praze už deset let."),
    "fi": ("Tänään on todella kaunis sää, mennään kävelylle puistoon.", "Veljeni on asunut Helsingissä kymmenen vuotta."),
    "ro": ("Astăzi vremea este foarte frumoasă și mergem în parc.", "Fratele meu locuiește în București de zece ani."),
    "ru": ("Сегодня очень хорошая погода, пойдём гулять в парк.", "Мой брат живёт в Москве уже десять лет."),
    "da": ("Vejret er meget smukt i dag, så vi går en tur i parken.", "Min bror har boet i København i ti år."),
    "bg": ("Днес времето е много хубаво и отиваме в парка.", "Брат ми живее в София от десет години."),
    "ms": ("Cuaca hari ini sangat baik dan kami pergi ke taman.", "Abang saya telah tinggal di Kuala Lumpur selama sepuluh tahun."),
    "sk": ("Dnes je veľmi pekné počasie, poďme sa prejsť do parku.", "Môj brat žije v Bratislave už desať rokov."),
    "hr": ("Danas je vrlo lijepo vrijeme pa idemo u park.", "Moj brat živi u Zagrebu već deset godina."),
    "ar": ("الطقس جميل جدا اليوم ولذلك سنذهب إلى الحديقة.", "يعيش أخي في القاهرة منذ عشر سنوات."),
    "ta": ("இன்று வானிலை மிகவும் நன்றாக இருக்கிறது.", "என் அண்ணன் சென்னையில் பத்து வருடங்களாக வசிக்கிறார்."),
    "en": ("The weather is lovely today, so we are going for a walk in the park.", "My brother has lived in London for ten years."),
    "pl": ("Dzisiaj jest bardzo ładna pogoda, więc idziemy do parku.", "Mój brat mieszka w Warszawie od dziesięciu lat."),
    "de": ("Heute ist das Wetter sehr schön, deshalb gehen wir im Park spazieren.", "Mein Bruder wohnt seit zehn Jahren in Berlin."),
    "es": ("Hoy hace muy buen tiempo, así que vamos a pasear por el parque.", "Mi hermano vive en Madrid desde hace diez años."),
    "fr": ("Il fait très beau aujourd'hui, alors nous allons nous promener au parc.", "Mon frère habite à Paris depuis dix ans."),
    "it": ("Oggi il tempo è molto bello, quindi andiamo a passeggiare nel parco.", "Mio fratello vive a Roma da dieci anni."),
    "hi": ("आज मौसम बहुत अच्छा है इसलिए हम पार्क में घूमने जा रहे हैं।", "मेरा भाई दस साल से दिल्ली में रहता है।"),
    "pt": ("Hoje o tempo está muito bonito, então vamos passear no parque.", "Meu irmão mora em Lisboa há dez anos."),
    "hu": ("Ma nagyon szép az idő, ezért sétálni megyünk a parkba.", "A bátyám tíz éve él Budapesten."),
    "vi": ("Hôm nay thời tiết rất đẹp nên chúng tôi đi dạo trong công viên.", "Anh trai tôi đã sống ở Hà Nội mười năm."),
    "no": ("Været er veldig fint i dag, så vi går en tur i parken.", "Broren min har bodd i Oslo i ti år."),
}


def voice(language: str) -> str:
    return VOICES.get(language, language)
