"""Every string the vendor or customer sees, one table per language: EN, FR, SW below.

Each table is one string of "key=text" lines (a line starting with two spaces continues
the text above it, joined with one space; "\\n" in a text starts a new line). One string,
not a dict: it stays in flash with the code (a dict of 130 entries would take about 5 KB
of heap), and t() finds a key by scanning it. The three tables are in this module rather
than one module each: a module costs the heap ~130 bytes, a string in flash ~20.
Texts with {0}, {1} ... take arguments: t("amt_low", "KES 50.00").

Screen texts are ASCII only (the OLED font has no accents); s_ texts go to the printer's
Latin code page.

Keys are at most 10 characters: MicroPython interns a string literal that short as a
name (a few bytes of the heap), while each longer literal is a string object on the
heap in every module that uses it (about 20 bytes each when the firmware runs from
ROMFS). So keys are short and follow a pattern: t_ screen titles, f_ footers (the keys
to press), m_ menu entries, s_ slip texts (the printer's code page; the others are
ASCII for the OLED), i_ status screen lines; the rest are named for what they say.
tests/device/test_i18n.py holds every key to the limit.
"""

LANGUAGES = ("en", "fr", "sw")

_state = ["en", None]  # [code, table] of the language in use (table None: not set yet)


def set_language(code):
    """Switch every later screen and slip to this language ("en", "fr" or "sw")."""
    if code == "en":
        _state[1] = EN
    elif code == "fr":
        _state[1] = FR
    elif code == "sw":
        _state[1] = SW
    else:
        raise ValueError("unknown language " + repr(code))  # en, fr or sw
    _state[0] = code


def language():
    """Code of the language in use."""
    return _state[0]


def lookup(text, key):
    """The raw text for key in a table string, or None (continuation lines joined).

    Searches without building a needle string: this runs for every text on every
    screen, and the heap is small.
    """
    size = len(key)
    pos = text.find(key)
    while pos > 0 and not (text.startswith("\n", pos - 1) and text.startswith("=", pos + size)):
        pos = text.find(key, pos + 1)
    if pos <= 0:
        return None
    start = pos + size + 1
    end = text.find("\n", start)
    while text.startswith("  ", end + 1):
        end = text.find("\n", end + 1)
    found = text[start:end]
    if "\n" in found:
        found = found.replace("\n  ", " ")
    if "\\n" in found:
        found = found.replace("\\n", "\n")
    return found


def t(key, *args):
    """The text for key in the current language, with {0}, {1} ... filled from args.

    A key missing from the table shows as "?key" rather than crashing the device;
    tests check that every table has every key.
    """
    found = lookup(_state[1] or EN, key)
    if found is None:
        return "?" + key
    if args:
        return found.format(*args)
    return found


# English.
EN = r"""
t_login=Vendor login
pin_prompt=Enter PIN + #
pin_wrong=Wrong PIN. {0} tries left.
t_locked=Locked
lock_wait=Too many wrong PINs. Wait {0} min.
t_menu=Menu
m_sale=1 Sale
m_reprint=2 Reprint last
m_pending=3 Pending sales
m_x=4 X report
m_z=5 Z close shift
m_status=6 Status
m_language=7 Language
t_meter=Meter number
mtr_digits=Digits only.
mtr_length=Need 18 digits, have {0}.
mtr_iin=Not a meter number: starts {0}.
mtr_check=Wrong number (check digit). Check each digit.
max_digits=At most {0} digits.
t_amount=Amount
amt_limits=Min {0}\nMax {1}
amt_zero=Amount must be more than 0.
amt_low=Below minimum {0}.
amt_high=Above maximum {0}.
t_confirm=Confirm sale
t_waiting=Sending
wait_body=Waiting for token
t_printing=Printing
print_wait=Please wait
t_done=Done
done_token=Slip printed. Give it to the customer.
done_pend=No token yet: pending slip printed. Ref:
done_rep=Report printed.
t_paper=Printer
paper_out=Paper out. Load paper.
no_printer=Printer not answering. Check it.
t_refused=Sale refused
give_back=Give back {0}
t_token=Token ready
token_body=Token arrived. Print it now?
t_pending=Pending
pend_none=No pending sales.
st_wait=Waiting for token
st_print=Token ready: #
st_sync=Printed, syncing
st_refund=Refused: refund
t_x=X report
t_z=Close shift (Z)
shift_n=Shift {0}
sales_n=Sales: {0}
refunds_n=Refunds: {0}
unsynced_n=Unsynced: {0}
t_status=Status
i_signal=Signal: {0}
i_battery=Battery: {0}
i_paper=Paper: {0}
paper_ok=ok
paper_paper_out=out
paper_no_printer=none
i_queue=Queue: {0}
i_online=Link: online
i_offline=Link: offline
i_problem=Link: {0}
i_version=FW {0}
t_language=Language
lang_en=English
lang_fr=Francais
lang_sw=Kiswahili
t_notice=Notice
sync_first=Too many unsynced sales. Sync first.
off_limit=Offline limit reached.
off_left=Left offline: {0}
store_err=Storage error.
not_taken=Sale NOT taken. Do not take cash.
sent_again=Sent again:
await_ack=Printed. Waiting for the server.
no_sale=No sale to reprint.
t_safe=SAFE MODE
safe_body=Config problem:
safe_hint=Fix config over USB, restart.
safe_crash=Crashed {0} times in a row. See last_error.txt
safe_jrnl=Sale journal unreadable: {0}
f_enter=#OK *Del
f_entry=#OK *Del C Back
f_sell=#Sell C Back
f_nowait=C Don't wait
f_next=#New sale C Menu
f_ok=#OK
f_retry=#Print C Later
f_back=C Back
f_list=2/8 Move #Open
f_print=#Print C Back
f_close=#Close C Back
f_later=#Print C Later
s_title=Prepaid electricity
s_copy=*** COPY ***
s_date=Date
s_vendor=Vendor
s_device=Device
s_ref=Sale ref
s_meter=Meter
s_receipt=Receipt
s_customer=Customer
s_paid=Amount paid
s_tax=Tax
s_fixed=Fixed charge
s_debt=Debt deducted
s_energy=Energy
s_keyfirst=Enter these key change tokens FIRST, in this order:
s_key_n=Key change token {0} of {1}
s_token=TOKEN
s_token_n=TOKEN {0} of {1}
s_thanks=Thank you
s_received=PAYMENT RECEIVED
s_pending=TOKEN PENDING
s_pendnote=Your token will be issued when the network returns. Keep this slip and show
  it to collect your token.
s_x_report=X REPORT
s_z_report=Z REPORT
s_shift=Shift
s_opened=Opened
s_closed=Closed
s_printed=Printed
s_sales=Sales
s_amount=Sales amount
s_refunds=Refunds
s_refunded=Refunded
s_net=Net cash
s_unsynced=Unsynced sales
"""

# Francais.
FR = r"""
t_login=Connexion
pin_prompt=Code PIN puis #
pin_wrong=PIN faux. Encore {0} essais.
t_locked=Bloque
lock_wait=Trop de PIN faux. Attendez {0} min.
t_menu=Menu
m_sale=1 Vente
m_reprint=2 Reimprimer
m_pending=3 En attente
m_x=4 Rapport X
m_z=5 Cloture Z
m_status=6 Etat
m_language=7 Langue
t_meter=No compteur
mtr_digits=Chiffres seulement.
mtr_length=18 chiffres requis, {0} saisis.
mtr_iin=Pas un compteur: debut {0}.
mtr_check=Numero faux (controle). Verifiez les chiffres.
max_digits=Au plus {0} chiffres.
t_amount=Montant
amt_limits=Min {0}\nMax {1}
amt_zero=Le montant doit depasser 0.
amt_low=Sous le minimum {0}.
amt_high=Au-dessus du max {0}.
t_confirm=Confirmer vente
t_waiting=Envoi
wait_body=Attente du jeton
t_printing=Impression
print_wait=Patientez
t_done=Termine
done_token=Recu imprime. Donnez-le au client.
done_pend=Pas de jeton: recu d'attente imprime. Ref:
done_rep=Rapport imprime.
t_paper=Imprimante
paper_out=Plus de papier. Rechargez.
no_printer=L'imprimante ne repond pas.
t_refused=Vente refusee
give_back=Rendez {0}
t_token=Jeton pret
token_body=Jeton arrive. L'imprimer?
t_pending=Attente
pend_none=Aucune vente en attente.
st_wait=Attente du jeton
st_print=Jeton recu: #
st_sync=Imprime, synchro
st_refund=Refusee: rendre
t_x=Rapport X
t_z=Cloture (Z)
shift_n=Service {0}
sales_n=Ventes: {0}
refunds_n=Rembours.: {0}
unsynced_n=Non synchro: {0}
t_status=Etat
i_signal=Signal: {0}
i_battery=Batterie: {0}
i_paper=Papier: {0}
paper_ok=ok
paper_paper_out=vide
paper_no_printer=absent
i_queue=File: {0}
i_online=Liaison: ok
i_offline=Hors ligne
i_problem=Liaison: {0}
i_version=Version {0}
t_language=Langue
lang_en=English
lang_fr=Francais
lang_sw=Kiswahili
t_notice=Info
sync_first=Trop de ventes a synchroniser.
off_limit=Limite hors ligne atteinte.
off_left=Reste hors ligne: {0}
store_err=Erreur de memoire.
not_taken=Vente NON prise. Ne prenez pas l'argent.
sent_again=Renvoyee:
await_ack=Imprimee. Attente du serveur.
no_sale=Aucune vente a reimprimer.
t_safe=MODE SECOURS
safe_body=Probleme de config:
safe_hint=Corrigez la config par USB, redemarrez.
safe_crash=Plante {0} fois de suite. Voir last_error.txt
safe_jrnl=Journal des ventes illisible : {0}
f_enter=#OK *Eff
f_entry=#OK *Eff C Ret.
f_sell=#Vendre C Ret.
f_nowait=C Ne pas att.
f_next=#Vente C Menu
f_ok=#OK
f_retry=#Impr C Apres
f_back=C Retour
f_list=2/8 Aller #Voir
f_print=#Impr C Retour
f_close=#Clore C Ret.
f_later=#Impr C Apres
s_title=Électricité prépayée
s_copy=*** DUPLICATA ***
s_date=Date
s_vendor=Vendeur
s_device=Terminal
s_ref=Réf. vente
s_meter=Compteur
s_receipt=Reçu n°
s_customer=Client
s_paid=Montant payé
s_tax=Taxe
s_fixed=Frais fixes
s_debt=Dette déduite
s_energy=Énergie
s_keyfirst=Entrez D'ABORD ces jetons de changement de clé, dans cet ordre :
s_key_n=Jeton de clé {0} sur {1}
s_token=JETON
s_token_n=JETON {0} sur {1}
s_thanks=Merci
s_received=PAIEMENT REÇU
s_pending=JETON EN ATTENTE
s_pendnote=Votre jeton sera émis au retour du réseau. Gardez ce reçu et présentez-le
  pour obtenir votre jeton.
s_x_report=RAPPORT X
s_z_report=RAPPORT Z
s_shift=Service
s_opened=Ouvert
s_closed=Clôturé
s_printed=Imprimé
s_sales=Ventes
s_amount=Montant des ventes
s_refunds=Remboursements
s_refunded=Remboursé
s_net=Espèces nettes
s_unsynced=Ventes non synchronisées
"""

# Kiswahili.
SW = r"""
t_login=Ingia
pin_prompt=Weka PIN kisha #
pin_wrong=PIN si sahihi. Majaribio {0} yamebaki.
t_locked=Imefungwa
lock_wait=PIN nyingi si sahihi. Subiri dakika {0}.
t_menu=Menyu
m_sale=1 Uza
m_reprint=2 Chapa tena
m_pending=3 Zinasubiri
m_x=4 Ripoti X
m_z=5 Funga zamu Z
m_status=6 Hali
m_language=7 Lugha
t_meter=Namba ya mita
mtr_digits=Tarakimu tu.
mtr_length=Tarakimu 18 zinahitajika, zipo {0}.
mtr_iin=Si namba ya mita: inaanza {0}.
mtr_check=Namba si sahihi (uhakiki). Hakiki kila tarakimu.
max_digits=Tarakimu {0} tu.
t_amount=Kiasi
amt_limits=Chini {0}\nJuu {1}
amt_zero=Kiasi lazima kiwe zaidi ya 0.
amt_low=Chini ya kiwango {0}.
amt_high=Juu ya kikomo {0}.
t_confirm=Thibitisha
t_waiting=Inatuma
wait_body=Inasubiri tokeni
t_printing=Inachapa
print_wait=Tafadhali subiri
t_done=Imekamilika
done_token=Risiti imechapwa. Mpe mteja.
done_pend=Tokeni bado: risiti ya kusubiri imechapwa. Kumb:
done_rep=Ripoti imechapwa.
t_paper=Printa
paper_out=Karatasi imeisha. Weka karatasi.
no_printer=Printa haijibu. Ikague.
t_refused=Imekataliwa
give_back=Rudisha {0}
t_token=Tokeni tayari
token_body=Tokeni imefika. Ichapishe sasa?
t_pending=Zinasubiri
pend_none=Hakuna mauzo yanayosubiri.
st_wait=Inasubiri tokeni
st_print=Tokeni ipo: #
st_sync=Imechapwa
st_refund=Rudisha pesa
t_x=Ripoti X
t_z=Funga zamu (Z)
shift_n=Zamu {0}
sales_n=Mauzo: {0}
refunds_n=Marejesho: {0}
unsynced_n=Hazijatumwa: {0}
t_status=Hali
i_signal=Mtandao: {0}
i_battery=Betri: {0}
i_paper=Karatasi: {0}
paper_ok=sawa
paper_paper_out=imeisha
paper_no_printer=hakuna
i_queue=Foleni: {0}
i_online=Kiungo: kipo
i_offline=Kiungo: hakipo
i_problem=Kiungo: {0}
i_version=Toleo {0}
t_language=Lugha
lang_en=English
lang_fr=Francais
lang_sw=Kiswahili
t_notice=Taarifa
sync_first=Mauzo mengi hayajatumwa.
off_limit=Kikomo cha nje ya mtandao kimefikiwa.
off_left=Kilichobaki: {0}
store_err=Hitilafu ya hifadhi.
not_taken=Mauzo HAYAJAREKODIWA. Usipokee pesa.
sent_again=Imetumwa tena:
await_ack=Imechapwa. Inasubiri seva.
no_sale=Hakuna mauzo ya kuchapa tena.
t_safe=HALI SALAMA
safe_body=Tatizo la usanidi:
safe_hint=Rekebisha usanidi kwa USB, washa upya.
safe_crash=Imeanguka mara {0} mfululizo. Angalia last_error.txt
safe_jrnl=Daftari la mauzo halisomeki: {0}
f_enter=#Sawa *Futa
f_entry=#Sawa *Futa C
f_sell=#Uza C Rudi
f_nowait=C Usisubiri
f_next=#Uza C Menyu
f_ok=#Sawa
f_retry=#Chapa C Baadaye
f_back=C Rudi
f_list=2/8 #Fungua
f_print=#Chapa C Rudi
f_close=#Funga C Rudi
f_later=#Chapa C Baadaye
s_title=Umeme wa malipo ya awali
s_copy=*** NAKALA ***
s_date=Tarehe
s_vendor=Wakala
s_device=Kifaa
s_ref=Kumb. mauzo
s_meter=Mita
s_receipt=Risiti Na.
s_customer=Mteja
s_paid=Kiasi kilicholipwa
s_tax=Kodi
s_fixed=Ada ya kudumu
s_debt=Deni lililokatwa
s_energy=Nishati
s_keyfirst=Weka KWANZA tokeni hizi za kubadilisha ufunguo, kwa mpangilio huu:
s_key_n=Tokeni ya ufunguo {0} kati ya {1}
s_token=TOKENI
s_token_n=TOKENI {0} kati ya {1}
s_thanks=Asante
s_received=MALIPO YAMEPOKELEWA
s_pending=TOKENI INASUBIRIWA
s_pendnote=Tokeni yako itatolewa mtandao ukirudi. Hifadhi risiti hii na uionyeshe
  kupata tokeni yako.
s_x_report=RIPOTI X
s_z_report=RIPOTI Z
s_shift=Zamu
s_opened=Ilifunguliwa
s_closed=Ilifungwa
s_printed=Imechapwa
s_sales=Mauzo
s_amount=Jumla ya mauzo
s_refunds=Marejesho
s_refunded=Jumla ya marejesho
s_net=Pesa halisi
s_unsynced=Mauzo hayajatumwa
"""
