"""Stop words of the first-class languages, written as data for keyphrase labels.

Lists are short on purpose: function words, pronouns, auxiliaries and the politeness fillers of
customer messages ("please", "hi"), in case-folded form as :mod:`feedback_nlp.themes.label` sees
them. Content words that happen to be frequent in feedback ("card", "order") stay: c-TF-IDF
down-weights words common to every theme without a list. Arabic and Persian entries are written
without short vowels (harakat), as the labeler strips them before matching.
"""

from __future__ import annotations

__all__ = ["STOP_WORDS", "stop_words_for"]

_EN = """
a about above after again against all also am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
don't down during each either else even ever every few for from further get gets getting got had
hadn't has hasn't have haven't having he he's her here here's hers herself him himself his how
how's however i i'd i'll i'm i've if in into is isn't it it's its itself just let's like me might
more most much must mustn't my myself need no nor not now of off on once one only or other ought
our ours ourselves out over own please pls quite rather really same shall shan't she she'd she'll
she's should shouldn't so some still such than thank thanks that that's the their theirs them
themselves then there there's these they they'd they'll they're they've this those through thus
to too under until up upon us very via was wasn't way we we'd we'll we're we've were weren't what
what's when when's where where's whether which while who who's whom why why's will with won't
would wouldn't yes yet you you'd you'll you're you've your yours yourself yourselves hi hello hey
dear ok okay im ive dont cant didnt doesnt isnt wont thats whats u ur also able want wanted
"""

_AR = """
في من على إلى الى عن مع هذا هذه ذلك تلك هناك هنا هو هي هم هن أنا انا نحن أنت انت أنتم انتم
كان كانت يكون تكون كانوا ليس ليست لم لن لا ما ماذا لماذا كيف متى أين اين هل قد لقد ثم أو او
أن ان إن إذا اذا لكن بل حتى كل بعض غير أي اي التي الذي الذين اللذين اللتين اللواتي عند عندي
لدي لدى لي له لها لهم لنا لك بها به بي فيه فيها منه منها عليه عليها إليه اليه معي معه كما
أيضا ايضا جدا فقط يا و ف ب ل ك يمكن يمكنني أريد اريد أود اود هل من فضلك شكرا مرحبا الرجاء
رجاء بعد قبل حول خلال بين تحت فوق منذ نعم كلا لو أكثر اكثر أقل اقل هذان هاتان أولئك اولئك
ولم ولكن ولا وما وهو وهي وقد فهل حاولت أفعل افعل أقم اقم يجب أستطيع استطيع يمكنك تستطيع أنني انني
إنه انه إنها انها لأن لان
"""

_HE = """
של את על עם אל מן מ ב ל כ ה ו ש זה זו זאת אלה אלו הוא היא הם הן אני אנחנו אתה את אתם אתן
לא כן גם רק אבל או אם כי כאשר כש מה מי איך למה מתי איפה היכן יש אין היה הייתה היו יהיה להיות
כל כמה עוד כבר מאוד מאד ניתן צריך רוצה אפשר יכול יכולה
אותו אותה אותם אותי אותך לי לו לה לנו לך להם שלי שלו שלה שלנו שלך
שלהם בו בה בהם בי ממני ממנו אצל אחרי לפני בין תחת מעל בגלל בשביל כדי עד כמו אז שם פה כאן
בבקשה תודה שלום היי הזה הזאת האלה אנא
"""

_FA = """
و در به از که این آن را با برای است هست نیست بود بودند باشد شد شده شود می نمی هم یا اما ولی
اگر تا چون چه چرا چگونه کجا کی کدام هر همه یک دیگر خیلی بسیار فقط نیز من تو او ما شما
آنها ایشان خود مرا ترا اش ام ات مان تان شان ای بر روی زیر پیش پس بین درباره بدون مثل مانند
همین همان آیا لطفا لطفاً ممنون متشکرم سلام دارم دارد داریم دارند کرد کرده کند کنم کنید
کنند میخواهم می‌خواهم خواهم باید نباید توان تواند می‌توانم میتوانم هیچ
ممکن باشند باشد هستند می‌شود میشود می‌کند میکند می‌دهد میدهد می‌تواند میتواند داد کرد
شوند شده‌اند شده‌است کردند دادند
"""

_LT = """
ir ar bet o kad kaip kur kas ką kam kuo kodėl kada jei jeigu nes tai tas ta tie tos šis ši šie
šios tas jis ji jie jos aš tu mes jūs mano tavo jo jos mūsų jūsų savo man tau jam jai mums jums
jiems joms mane tave save yra buvo bus būti esu esame yra nėra ne taip dar jau tik labai irgi
taip pat į iš su be per po prie nuo už apie pagal tarp ant prieš iki dėl pas virš po kaip
prašau ačiū labas sveiki gal galiu galima noriu reikia turiu turi kuris kuri kurie kurios
gali galite kai tam jų norite nori kurių kuriame kurioje pvz daug tada čia ten
"""

STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(_EN.split()),
    "ar": frozenset(_AR.split()),
    "he": frozenset(_HE.split()),
    "fa": frozenset(_FA.split()),
    "lt": frozenset(_LT.split()),
}

_ALL = frozenset().union(*STOP_WORDS.values())


def stop_words_for(lang: str) -> frozenset[str]:
    """Return the stop words of ``lang``; unknown languages get the union of all lists."""
    return STOP_WORDS.get(lang.split("-")[0].lower(), _ALL)
