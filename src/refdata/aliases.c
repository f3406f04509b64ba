/* aliases.c: other names travellers type for big cities (autocomplete.c indexes them).
 *
 * The imported airport data names each city once, in English ("Munich", "Cologne"), so a
 * traveller typing "München", "Köln", "Nueva York" or "Londres" found nothing. This table gives
 * each city's names in the languages of its own country and of the largest travelling
 * publics (German, Spanish, French, Italian, Portuguese, Dutch, Polish), the ASCII spellings
 * Germans use without umlauts ("Muenchen", "Koeln"), and older English names still used
 * ("Bombay"). Names in other scripts (Москва, 東京) are folded to Latin like every key, so they
 * also match their transliteration. Facts: the cities' names as the Wikipedia editions of
 * those languages title their articles (public knowledge, checked by hand, 2026-12). Written in
 * the project because no packaged data set maps exonyms to IATA codes.
 *
 * A code is a metro area's (matched with its airports) when one exists, else an airport's; an
 * entry whose code is not in the reference data is skipped. */
#include "refdata/refdata_internal.h"

const ct_place_alias ct_place_aliases[] = {
    {"LON", {"Londres", "Londra", "Londen", "Londyn", NULL}},
    {"NYC", {"Nueva York", "Nova Iorque", "Nowy Jork", "New-York", "Nuova York", NULL}},
    {"PAR", {"Parigi", "Parijs", "Paryż", NULL}},
    {"ROM", {"Roma", "Rom", "Rzym", NULL}},
    {"MIL", {"Milano", "Mailand", "Milán", "Milão", "Mediolan", NULL}},
    {"MOW", {"Moskau", "Moscou", "Moscú", "Mosca", "Moskwa", "Москва", NULL}},
    {"STO", {"Estocolmo", "Stoccolma", "Sztokholm", NULL}},
    {"TYO", {"Tokio", "Tóquio", "東京", NULL}},
    {"SEL", {"Séoul", "Seúl", "서울", NULL}},
    {"BJS", {"Pékin", "Pekín", "Pechino", "Peking", "Pequim", "Pekin", "北京", NULL}},
    {"SHA", {"Xangai", "Szanghaj", "上海", NULL}},
    {"SAO", {"San Pablo", NULL}},
    {"RIO", {"Río de Janeiro", NULL}},
    {"WAS", {"Waszyngton", NULL}},
    {"REK", {"Reykjavík", "Reikiavik", NULL}},
    {"MUC", {"München", "Muenchen", "Monaco di Baviera", "Múnich", "Munique", "Monachium", NULL}},
    {"CGN", {"Köln", "Koeln", "Colonia", "Cologne", "Keulen", NULL}},
    {"NUE", {"Nürnberg", "Nuernberg", "Nuremberg", "Norimberga", "Núremberg", NULL}},
    {"DUS", {"Düsseldorf", "Duesseldorf", NULL}},
    {"FRA", {"Francfort", "Francoforte", "Fráncfort", "Frankfurt am Main", NULL}},
    {"HAM", {"Hambourg", "Amburgo", "Hamburgo", NULL}},
    {"BER", {"Berlín", "Berlino", "Berlim", NULL}},
    {"VIE", {"Wien", "Viena", "Vienne", "Wiedeń", NULL}},
    {"ZRH", {"Zürich", "Zuerich", "Zurigo", "Zúrich", NULL}},
    {"GVA", {"Genf", "Genève", "Ginevra", "Ginebra", "Genebra", NULL}},
    {"BSL", {"Bâle", "Basilea", "Bazylea", NULL}},
    {"PRG", {"Praha", "Prag", "Praga", NULL}},
    {"WAW", {"Warszawa", "Warschau", "Varsovia", "Varsovie", "Varsóvia", NULL}},
    {"KRK", {"Kraków", "Krakau", "Cracovia", "Cracovie", NULL}},
    {"BRU", {"Bruxelles", "Brüssel", "Bruselas", "Brussel", "Bruxelas", "Bruksela", NULL}},
    {"CPH", {"København", "Kopenhagen", "Copenhague", "Copenaghen", "Kopenhaga", NULL}},
    {"GOT", {"Göteborg", "Goeteborg", "Gotemburgo", NULL}},
    {"HEL", {"Helsingfors", NULL}},
    {"LIS", {"Lisboa", "Lissabon", "Lisbonne", "Lisbona", "Lizbona", NULL}},
    {"OPO", {"Oporto", NULL}},
    {"SVQ", {"Sevilla", "Séville", "Siviglia", "Sevilha", NULL}},
    {"BCN", {"Barcelone", "Barcellona", NULL}},
    {"MAD", {"Madri", NULL}},
    {"VCE", {"Venezia", "Venedig", "Venecia", "Veneza", "Wenecja", NULL}},
    {"FLR", {"Firenze", "Florenz", "Florencia", "Florença", "Florencja", NULL}},
    {"NAP", {"Napoli", "Neapel", "Nápoles", NULL}},
    {"TRN", {"Torino", NULL}},
    {"ATH", {"Athína", "Athen", "Atenas", "Athènes", "Atene", "Ateny", "Αθήνα", NULL}},
    {"BEG", {"Beograd", "Belgrad", "Belgrado", NULL}},
    {"OTP", {"București", "Bukarest", "Bucarest", "Bucareste", NULL}},
    {"LED",
     {"Sankt Peterburg", "Sankt Petersburg", "Saint-Pétersbourg", "San Petersburgo",
      "Санкт-Петербург", NULL}},
    {"DUB", {"Baile Átha Cliath", "Dublino", NULL}},
    {"EDI", {"Édimbourg", "Edimburgo", NULL}},
    {"CAI", {"Le Caire", "El Cairo", "Il Cairo", "Kairo", "القاهرة", NULL}},
    {"DXB", {"Dubaï", "دبي", NULL}},
    {"SIN", {"Singapur", "Singapour", "Singapura", "Cingapura", NULL}},
    {"HKG", {"Hongkong", "香港", NULL}},
    {"DEL", {"Neu-Delhi", "Nueva Delhi", "New Delhi", NULL}},
    {"BOM", {"Bombay", NULL}},
    {"MAA", {"Madras", NULL}},
    {"CCU", {"Calcutta", NULL}},
    {"SGN", {"Saigon", "Hô Chi Minh-Ville", "Ciudad Ho Chi Minh", NULL}},
    {"HAN", {"Hanoï", NULL}},
    {"MEX", {"Mexiko-Stadt", "Ciudad de México", "Cidade do México", "Città del Messico", NULL}},
    {"CPT", {"Kaapstad", "Kapstadt", "Le Cap", "Ciudad del Cabo", "Città del Capo", NULL}},
    {"TLV", {"Tel Aviv-Yafo", NULL}},
};

const size_t ct_place_aliases_count = sizeof(ct_place_aliases) / sizeof(ct_place_aliases[0]);
