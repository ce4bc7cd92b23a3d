"""Demo legal documents for `make run`: the three named documents, current, in en and tr.

Idempotent: a version already published is left as it is.
"""

from consents.models import DocumentType, LegalDocument
from consents.services import legal_document_publish

DEMO_VERSION = "1.0.0"
DEMO_DOCUMENTS = {
    # type: (required, {language: (title, body)})
    DocumentType.PRIVACY_POLICY: (
        True,
        {
            "en": (
                "Privacy Policy",
                "<p>This demo policy explains which personal data yayin processes, why, and "
                "for how long.</p><h2>1. Data we collect</h2><ul><li>Account details: phone "
                "number or email address, name, username.</li><li>Usage: streams you create "
                "or join.</li></ul><h2>2. Your rights</h2><p>You can withdraw your consent at "
                "any time in the app settings.</p>",
            ),
            "tr": (
                "Gizlilik Politikası",
                "<p>Bu örnek politika, yayin'ın hangi kişisel verileri neden ve ne kadar süre "
                "işlediğini açıklar.</p><h2>1. Topladığımız veriler</h2><ul><li>Hesap "
                "bilgileri: telefon numarası veya e-posta adresi, ad, kullanıcı adı.</li>"
                "<li>Kullanım: oluşturduğunuz veya katıldığınız yayınlar.</li></ul><h2>2. "
                "Haklarınız</h2><p>Onayınızı uygulama ayarlarından istediğiniz zaman geri "
                "alabilirsiniz.</p>",
            ),
        },
    ),
    DocumentType.TERMS_OF_USE: (
        True,
        {
            "en": (
                "Terms of Use",
                "<p>By using yayin you agree to these demo terms.</p><h2>1. Your account</h2>"
                "<p>Keep your sign-in codes to yourself.</p><h2>2. Content</h2><p>Do not "
                "broadcast anything unlawful.</p>",
            ),
            "tr": (
                "Kullanım Koşulları",
                "<p>yayin'ı kullanarak bu örnek koşulları kabul etmiş olursunuz.</p><h2>1. "
                "Hesabınız</h2><p>Giriş kodlarınızı kimseyle paylaşmayın.</p><h2>2. İçerik</h2>"
                "<p>Hukuka aykırı yayın yapmayın.</p>",
            ),
        },
    ),
    DocumentType.CONSENT_FORM: (
        False,
        {
            "en": (
                "Explicit Consent Form",
                "<p>With this optional consent you allow yayin to use your data to recommend "
                "streams to you.</p>",
            ),
            "tr": (
                "Açık Rıza Metni",
                "<p>Bu isteğe bağlı onayla, yayin'ın verilerinizi size yayın önermek için "
                "kullanmasına izin verirsiniz.</p>",
            ),
        },
    ),
}


def seed(stdout) -> None:
    published = 0
    for document_type, (is_required, translations) in DEMO_DOCUMENTS.items():
        for language, (title, body) in translations.items():
            exists = LegalDocument.objects.filter(
                document_type=document_type, version=DEMO_VERSION, language=language
            ).exists()
            if exists:
                continue
            legal_document_publish(
                document_type=document_type,
                version=DEMO_VERSION,
                language=language,
                title=title,
                body_html=body,
                is_required=is_required,
            )
            published += 1
    stdout.write(f"consents: {published} legal documents published (version {DEMO_VERSION}).")
