/**
 * Nigerian data the sandbox generator draws from, for customers and histories that look real:
 * personal names by ethnic group, states with towns and streets, employers, estates, merchants,
 * billers, telcos and company-name parts. Pure data; every list is non-empty and frozen.
 *
 * Names of real companies, merchants and billers appear only as the counterparties of made-up
 * transactions, as they would on any Nigerian bank statement.
 */

/** Personal names that belong together (a Yoruba first name with a Yoruba surname…). */
export interface NameGroup {
  group: string;
  /** Share of the population the generator gives this group (weights; need not sum to 1). */
  weight: number;
  male: readonly string[];
  female: readonly string[];
  surnames: readonly string[];
  /** Where the group's people live when not in Lagos or Abuja (state names of {@link STATES}). */
  homeStates: readonly string[];
}

export const NAME_GROUPS: readonly NameGroup[] = deepFreeze([
  {
    group: "Yoruba",
    weight: 30,
    male: ["Adebayo", "Oluwaseun", "Babatunde", "Olumide", "Ayodeji", "Oluwafemi", "Adewale", "Tunde", "Segun", "Kayode", "Damilola", "Olamide", "Temitope", "Abiodun", "Gbenga", "Olusegun", "Ademola", "Oladipo", "Kunle", "Tobiloba"],
    female: ["Adunni", "Folake", "Funmilayo", "Omolara", "Titilayo", "Yetunde", "Bukola", "Kemi", "Morenike", "Abimbola", "Oluwakemi", "Adeola", "Temitope", "Damilola", "Ronke", "Simisola", "Ayomide", "Toyin", "Mojisola", "Iyabo"],
    surnames: ["Adeyemi", "Ogunleye", "Balogun", "Adebayo", "Oyelaran", "Afolabi", "Ogunbiyi", "Adewumi", "Olaniyan", "Bakare", "Oyediran", "Akinwale", "Ogundipe", "Fasanya", "Adeleke", "Odukoya", "Olatunji", "Akande", "Oyewole", "Adesanya"],
    homeStates: ["Lagos", "Oyo", "Ogun", "Kwara"],
  },
  {
    group: "Igbo",
    weight: 28,
    male: ["Chinedu", "Emeka", "Obinna", "Ikenna", "Chukwuemeka", "Nnamdi", "Uchenna", "Chidi", "Ifeanyi", "Kelechi", "Somtochukwu", "Tochukwu", "Ebuka", "Chibuike", "Okechukwu", "Nonso", "Chijioke", "Kenechukwu", "Azubuike", "Obiora"],
    female: ["Adaeze", "Chioma", "Ngozi", "Nneka", "Chiamaka", "Ifeoma", "Amarachi", "Uchechi", "Chinwe", "Obianuju", "Ogechi", "Nkechi", "Chinyere", "Ebere", "Ijeoma", "Chidinma", "Kosisochukwu", "Adanna", "Onyinye", "Ezinne"],
    surnames: ["Okafor", "Okonkwo", "Eze", "Nwosu", "Obi", "Okeke", "Nwachukwu", "Onyekachi", "Uzor", "Chukwu", "Igwe", "Anyanwu", "Ezeh", "Nnadi", "Okoro", "Onuoha", "Ugwu", "Mbah", "Nwankwo", "Obiechina"],
    homeStates: ["Enugu", "Anambra", "Rivers", "Delta"],
  },
  {
    group: "Hausa-Fulani",
    weight: 22,
    male: ["Abubakar", "Ibrahim", "Musa", "Aliyu", "Usman", "Sani", "Bashir", "Yusuf", "Umar", "Abdullahi", "Suleiman", "Nasiru", "Lawal", "Haruna", "Mustapha", "Jamilu", "Shehu", "Kabiru", "Garba", "Aminu"],
    female: ["Aisha", "Fatima", "Zainab", "Hauwa", "Maryam", "Amina", "Khadija", "Hadiza", "Rukayya", "Safiya", "Halima", "Asmau", "Bilkisu", "Salamatu", "Zulaihat", "Hafsat", "Ummi", "Jamila", "Sadiya", "Nafisa"],
    surnames: ["Bello", "Abdullahi", "Mohammed", "Sani", "Danjuma", "Yakubu", "Garba", "Ibrahim", "Usman", "Aliyu", "Abubakar", "Lawal", "Shehu", "Tanko", "Bala", "Dikko", "Jibrin", "Mahmud", "Suleiman", "Idris"],
    homeStates: ["Kano", "Kaduna"],
  },
  {
    group: "Edo",
    weight: 6,
    male: ["Osaro", "Osagie", "Eghosa", "Efosa", "Osamudiamen", "Ehis", "Nosa", "Omoregie", "Ikponmwosa", "Uyi"],
    female: ["Osasu", "Eki", "Ivie", "Osarugue", "Efe", "Omosede", "Izegbe", "Adesuwa", "Imuetinyan", "Eseosa"],
    surnames: ["Osagie", "Igbinedion", "Omoruyi", "Ehigiator", "Osayande", "Aigbe", "Idahosa", "Ogbebor", "Iyamu", "Edokpolo"],
    homeStates: ["Edo", "Delta"],
  },
  {
    group: "Ijaw",
    weight: 4,
    male: ["Ebiowei", "Tamuno", "Preye", "Ebikabowei", "Timipre", "Alaowei", "Tonye", "Boma", "Ebi", "Perebo"],
    female: ["Ebiere", "Tari", "Preye", "Boma", "Ebiakpo", "Timi", "Ayibanua", "Tonbra", "Ebinimi", "Seiyefa"],
    surnames: ["Amakiri", "Briggs", "Kalio", "Georgewill", "Tariah", "Sokari", "Iyalla", "Oruwari", "Ebiri", "Igbiki"],
    homeStates: ["Rivers", "Delta"],
  },
  {
    group: "Efik-Ibibio",
    weight: 5,
    male: ["Etim", "Effiong", "Okon", "Bassey", "Ekpenyong", "Asuquo", "Edet", "Inyang", "Udeme", "Aniekan"],
    female: ["Ekaette", "Nsikak", "Arit", "Mfon", "Eno", "Iquo", "Uduak", "Affiong", "Imaobong", "Emem"],
    surnames: ["Bassey", "Effiong", "Etim", "Okon", "Udoh", "Ekpo", "Umoh", "Inyang", "Asuquo", "Essien"],
    homeStates: ["Cross River", "Akwa Ibom"],
  },
  {
    group: "Tiv",
    weight: 4,
    male: ["Terver", "Msughter", "Aondofa", "Tersoo", "Iorliam", "Terhemba", "Aondoakaa", "Orduen", "Iorwuese", "Tavershima"],
    female: ["Mnena", "Doosuur", "Sewuese", "Nguveren", "Msurshima", "Iveren", "Dooshima", "Mwuese", "Ngunan", "Erdoo"],
    surnames: ["Terhemba", "Akaa", "Iorfa", "Tyoor", "Agber", "Ushie", "Gbande", "Kpev", "Orsaah", "Ioryue"],
    homeStates: ["Plateau", "Kaduna"],
  },
]);

/**
 * Middle names used across groups (baptismal and Islamic names are common middle names in
 * Nigeria). The generator takes middle names from these or from the person's own group.
 */
export const COMMON_MIDDLE_NAMES = deepFreeze({
  male: ["Emmanuel", "Samuel", "Daniel", "David", "Joseph", "Michael", "John", "Peter", "Paul", "Stephen", "Ahmed", "Abdul", "Idris", "Yakubu"],
  female: ["Grace", "Blessing", "Mercy", "Esther", "Deborah", "Ruth", "Joy", "Faith", "Elizabeth", "Mary", "Aishat", "Rahmat", "Mariam", "Precious"],
});

/** A town (or a Lagos/Abuja district) with streets; `name` is what appears on addresses and POS lines. */
export interface Town {
  name: string;
  streets: readonly string[];
}

export interface NigerianState {
  state: string;
  /** The electricity distribution company (disco) serving it. */
  disco: string;
  /** The state revenue service that collects PAYE. */
  revenueService: string;
  towns: readonly Town[];
}

export const STATES: readonly NigerianState[] = deepFreeze([
  {
    state: "Lagos",
    disco: "IKEDC",
    revenueService: "LIRS",
    towns: [
      { name: "Ikeja", streets: ["Allen Avenue", "Obafemi Awolowo Way", "Opebi Road", "Toyin Street", "Isaac John Street", "Adeniyi Jones Avenue"] },
      { name: "Lekki", streets: ["Admiralty Way", "Fola Osibo Road", "Freedom Way", "Babatunde Anjous Avenue", "Ologolo Road"] },
      { name: "Victoria Island", streets: ["Adeola Odeku Street", "Ahmadu Bello Way", "Akin Adesola Street", "Ajose Adeogun Street", "Ozumba Mbadiwe Avenue"] },
      { name: "Surulere", streets: ["Adeniran Ogunsanya Street", "Bode Thomas Street", "Ogunlana Drive", "Akerele Street", "Randle Avenue"] },
      { name: "Yaba", streets: ["Herbert Macaulay Way", "Commercial Avenue", "Sabo Road", "Alagomeji Street", "Montgomery Road"] },
      { name: "Ikorodu", streets: ["Lagos Road", "Ayangburen Road", "Sagamu Road", "Ebute Road"] },
      { name: "Ajah", streets: ["Addo Road", "Badore Road", "Abraham Adesanya Road", "Lekki-Epe Expressway"] },
      { name: "Gbagada", streets: ["Diya Street", "Ifako Road", "Olabode Street", "Oworonshoki Road"] },
      { name: "Ikoyi", streets: ["Awolowo Road", "Bourdillon Road", "Kingsway Road", "Glover Road"] },
      { name: "Festac", streets: ["2nd Avenue", "4th Avenue", "21 Road", "Amuwo Odofin Road"] },
    ],
  },
  {
    state: "FCT",
    disco: "AEDC",
    revenueService: "FCT-IRS",
    towns: [
      { name: "Wuse", streets: ["Adetokunbo Ademola Crescent", "Aminu Kano Crescent", "Ahmadu Bello Way", "Ademola Adetokunbo Crescent"] },
      { name: "Garki", streets: ["Ahmadu Bello Way", "Tafawa Balewa Way", "Ladoke Akintola Boulevard", "Area 11 Road"] },
      { name: "Maitama", streets: ["Gana Street", "IBB Way", "Aguiyi Ironsi Street", "Mississippi Street"] },
      { name: "Gwarinpa", streets: ["1st Avenue", "3rd Avenue", "6th Avenue", "Yakubu Gowon Crescent"] },
      { name: "Kubwa", streets: ["Gado Nasko Road", "Arab Road", "Phase 4 Road"] },
    ],
  },
  {
    state: "Rivers",
    disco: "PHED",
    revenueService: "RIRS",
    towns: [
      { name: "Port Harcourt", streets: ["Aba Road", "Ikwerre Road", "Olu Obasanjo Road", "Trans-Amadi Road", "Rumuola Road", "Stadium Road"] },
      { name: "Obio-Akpor", streets: ["Rumuokoro Road", "Eliozu Road", "Choba Road"] },
    ],
  },
  {
    state: "Oyo",
    disco: "IBEDC",
    revenueService: "OYIRS",
    towns: [
      { name: "Ibadan", streets: ["Ring Road", "Bodija Road", "Iwo Road", "Challenge Road", "Oyo Road", "Dugbe Road"] },
      { name: "Ogbomoso", streets: ["Oyo-Ogbomoso Road", "Takie Road"] },
    ],
  },
  {
    state: "Ogun",
    disco: "IBEDC",
    revenueService: "OGIRS",
    towns: [
      { name: "Abeokuta", streets: ["Oke-Ilewo Road", "Ibara Road", "Kuto Road", "Lafenwa Road"] },
      { name: "Sango Ota", streets: ["Idiroko Road", "Ota-Idiroko Road", "Iyana Iyesi Road"] },
    ],
  },
  {
    state: "Kwara",
    disco: "IBEDC",
    revenueService: "KW-IRS",
    towns: [{ name: "Ilorin", streets: ["Taiwo Road", "Unity Road", "Fate Road", "Ibrahim Taiwo Road"] }],
  },
  {
    state: "Kano",
    disco: "KEDCO",
    revenueService: "KIRS",
    towns: [{ name: "Kano", streets: ["Zoo Road", "Murtala Mohammed Way", "Bompai Road", "Zaria Road", "Ahmadu Bello Way"] }],
  },
  {
    state: "Kaduna",
    disco: "KAEDCO",
    revenueService: "KADIRS",
    towns: [
      { name: "Kaduna", streets: ["Ahmadu Bello Way", "Independence Way", "Ali Akilu Road", "Constitution Road"] },
      { name: "Zaria", streets: ["Sokoto Road", "Kongo Road", "Jos Road"] },
    ],
  },
  {
    state: "Enugu",
    disco: "EEDC",
    revenueService: "EIRS",
    towns: [{ name: "Enugu", streets: ["Ogui Road", "Zik Avenue", "Okpara Avenue", "Independence Layout Road", "Chime Avenue"] }],
  },
  {
    state: "Anambra",
    disco: "EEDC",
    revenueService: "AIRS",
    towns: [
      { name: "Onitsha", streets: ["New Market Road", "Old Market Road", "Awka Road", "Modebe Avenue"] },
      { name: "Awka", streets: ["Zik Avenue", "Enugu-Onitsha Expressway", "Arroma Road"] },
    ],
  },
  {
    state: "Delta",
    disco: "BEDC",
    revenueService: "DSIRS",
    towns: [
      { name: "Warri", streets: ["Effurun-Sapele Road", "Airport Road", "Okumagba Avenue", "Jakpa Road"] },
      { name: "Asaba", streets: ["Nnebisi Road", "Okpanam Road", "Summit Road"] },
    ],
  },
  {
    state: "Edo",
    disco: "BEDC",
    revenueService: "EIRS-Edo",
    towns: [{ name: "Benin City", streets: ["Sapele Road", "Akpakpava Road", "Airport Road", "Ugbowo-Lagos Road", "Mission Road"] }],
  },
  {
    state: "Plateau",
    disco: "JEDC",
    revenueService: "PSIRS",
    towns: [{ name: "Jos", streets: ["Ahmadu Bello Way", "Tafawa Balewa Street", "Rayfield Road", "Zaria Road"] }],
  },
  {
    state: "Cross River",
    disco: "PHED",
    revenueService: "CRIRS",
    towns: [{ name: "Calabar", streets: ["Marian Road", "Ndidem Usang Iso Road", "Calabar Road", "MCC Road"] }],
  },
  {
    state: "Akwa Ibom",
    disco: "PHED",
    revenueService: "AKIRS",
    towns: [{ name: "Uyo", streets: ["Oron Road", "Aka Road", "Ikot Ekpene Road", "Abak Road", "Nwaniba Road"] }],
  },
]);

/** Employers that pay salaries (as they appear on a salary narration). */
export const EMPLOYERS: readonly string[] = deepFreeze([
  "DANGOTE CEMENT PLC",
  "MTN NIGERIA COMMUNICATIONS PLC",
  "NIGERIAN BREWERIES PLC",
  "NESTLE NIGERIA PLC",
  "UNILEVER NIGERIA PLC",
  "LAFARGE AFRICA PLC",
  "SEPLAT ENERGY PLC",
  "NNPC LIMITED",
  "TOTALENERGIES EP NIGERIA",
  "FLUTTERWAVE TECHNOLOGY SOLUTIONS",
  "PAYSTACK PAYMENTS LTD",
  "INTERSWITCH LIMITED",
  "ANDELA NIGERIA LTD",
  "JUMIA SERVICES NIGERIA",
  "OLAM NIGERIA LTD",
  "PZ CUSSONS NIGERIA PLC",
  "GUINNESS NIGERIA PLC",
  "CADBURY NIGERIA PLC",
  "KPMG PROFESSIONAL SERVICES",
  "PRICEWATERHOUSECOOPERS NIG",
  "LAGOS STATE GOVERNMENT",
  "FGN IPPIS",
  "UNIVERSITY OF LAGOS",
  "LAGOS UNIVERSITY TEACHING HOSPITAL",
  "CHEVRON NIGERIA LIMITED",
  "AIRTEL NETWORKS LIMITED",
  "FIRST AFRICA LOGISTICS LTD",
  "CHI LIMITED",
]);

/** Residential estates and neighbourhoods, for rent narrations. */
export const ESTATES: readonly string[] = deepFreeze([
  "LEKKI GARDENS ESTATE",
  "MAGODO PHASE 2",
  "OGUDU GRA",
  "IKEJA GRA",
  "AMUWO ODOFIN ESTATE",
  "FESTAC TOWN",
  "GWARINPA ESTATE",
  "SUNNYVALE ESTATE",
  "PRINCE AND PRINCESS ESTATE",
  "TRANS-AMADI GARDENS",
  "BODIJA ESTATE",
  "INDEPENDENCE LAYOUT",
  "CHEVRON DRIVE ESTATE",
  "OMOLE PHASE 1",
  "VICTORIA GARDEN CITY",
  "MAITAMA EXTENSION",
]);

export type MerchantKind = "grocery" | "food" | "fuel" | "pharmacy" | "electronics" | "fashion" | "leisure";

/** A card-present (POS) merchant with a plausible spend range in naira. */
export interface Merchant {
  name: string;
  kind: MerchantKind;
  minNaira: number;
  maxNaira: number;
}

export const POS_MERCHANTS: readonly Merchant[] = deepFreeze([
  { name: "SHOPRITE", kind: "grocery", minNaira: 3_000, maxNaira: 150_000 },
  { name: "SPAR", kind: "grocery", minNaira: 3_000, maxNaira: 150_000 },
  { name: "JUSTRITE SUPERSTORE", kind: "grocery", minNaira: 2_000, maxNaira: 80_000 },
  { name: "PRINCE EBEANO SUPERMARKET", kind: "grocery", minNaira: 3_000, maxNaira: 120_000 },
  { name: "CHICKEN REPUBLIC", kind: "food", minNaira: 2_500, maxNaira: 25_000 },
  { name: "KILIMANJARO", kind: "food", minNaira: 2_500, maxNaira: 20_000 },
  { name: "SWEET SENSATION", kind: "food", minNaira: 2_000, maxNaira: 18_000 },
  { name: "TANTALIZERS", kind: "food", minNaira: 2_000, maxNaira: 15_000 },
  { name: "DOMINOS PIZZA", kind: "food", minNaira: 6_000, maxNaira: 35_000 },
  { name: "COLD STONE CREAMERY", kind: "food", minNaira: 4_000, maxNaira: 20_000 },
  { name: "BUKKA HUT", kind: "food", minNaira: 3_000, maxNaira: 20_000 },
  { name: "TOTALENERGIES FILLING STN", kind: "fuel", minNaira: 5_000, maxNaira: 90_000 },
  { name: "MRS FILLING STATION", kind: "fuel", minNaira: 5_000, maxNaira: 80_000 },
  { name: "CONOIL FILLING STATION", kind: "fuel", minNaira: 5_000, maxNaira: 80_000 },
  { name: "NNPC MEGA STATION", kind: "fuel", minNaira: 5_000, maxNaira: 90_000 },
  { name: "ARDOVA FILLING STATION", kind: "fuel", minNaira: 5_000, maxNaira: 80_000 },
  { name: "MEDPLUS PHARMACY", kind: "pharmacy", minNaira: 1_500, maxNaira: 60_000 },
  { name: "HEALTHPLUS PHARMACY", kind: "pharmacy", minNaira: 1_500, maxNaira: 60_000 },
  { name: "SLOT SYSTEMS", kind: "electronics", minNaira: 15_000, maxNaira: 900_000 },
  { name: "3CHUB", kind: "electronics", minNaira: 15_000, maxNaira: 900_000 },
  { name: "LADYMAKER BOUTIQUE", kind: "fashion", minNaira: 10_000, maxNaira: 250_000 },
  { name: "MR PRICE", kind: "fashion", minNaira: 5_000, maxNaira: 120_000 },
  { name: "FILMHOUSE CINEMAS", kind: "leisure", minNaira: 4_000, maxNaira: 30_000 },
  { name: "GENESIS CINEMAS", kind: "leisure", minNaira: 4_000, maxNaira: 25_000 },
]);

/** Card-not-present (web) merchants, as their payment processor prints them. */
export const WEB_MERCHANTS: readonly Merchant[] = deepFreeze([
  { name: "PAYSTACK *BOLT", kind: "leisure", minNaira: 1_500, maxNaira: 15_000 },
  { name: "FLW *UBER TRIP", kind: "leisure", minNaira: 1_500, maxNaira: 18_000 },
  { name: "JUMIA NIGERIA", kind: "electronics", minNaira: 3_000, maxNaira: 400_000 },
  { name: "KONGA ONLINE", kind: "electronics", minNaira: 3_000, maxNaira: 400_000 },
  { name: "NETFLIX.COM", kind: "leisure", minNaira: 2_200, maxNaira: 7_000 },
  { name: "SPOTIFY", kind: "leisure", minNaira: 900, maxNaira: 2_000 },
  { name: "PAYSTACK *CHOWDECK", kind: "food", minNaira: 3_000, maxNaira: 25_000 },
  { name: "FLW *GLOVO", kind: "food", minNaira: 3_000, maxNaira: 25_000 },
  { name: "AIRPEACE WEB", kind: "leisure", minNaira: 90_000, maxNaira: 350_000 },
]);

/** A pay-TV or internet plan with its monthly price in naira. */
export interface SubscriptionPlan {
  biller: string;
  plan: string;
  naira: number;
}

export const TV_PLANS: readonly SubscriptionPlan[] = deepFreeze([
  { biller: "DSTV", plan: "PADI", naira: 4_400 },
  { biller: "DSTV", plan: "YANGA", naira: 6_000 },
  { biller: "DSTV", plan: "CONFAM", naira: 11_000 },
  { biller: "DSTV", plan: "COMPACT", naira: 19_000 },
  { biller: "DSTV", plan: "COMPACT PLUS", naira: 30_000 },
  { biller: "DSTV", plan: "PREMIUM", naira: 44_500 },
  { biller: "GOTV", plan: "JINJA", naira: 3_900 },
  { biller: "GOTV", plan: "JOLLI", naira: 5_800 },
  { biller: "GOTV", plan: "MAX", naira: 8_500 },
  { biller: "GOTV", plan: "SUPA", naira: 11_400 },
  { biller: "STARTIMES", plan: "NOVA", naira: 2_100 },
  { biller: "STARTIMES", plan: "CLASSIC", naira: 6_000 },
]);

export const INTERNET_PLANS: readonly SubscriptionPlan[] = deepFreeze([
  { biller: "SPECTRANET", plan: "UNLIMITED LITE", naira: 18_000 },
  { biller: "SPECTRANET", plan: "BIG BLAST", naira: 25_000 },
  { biller: "SMILE", plan: "UNLIMITED PREMIUM", naira: 20_000 },
  { biller: "IPNX", plan: "FIBRE HOME 20MBPS", naira: 30_000 },
  { biller: "STARLINK", plan: "RESIDENTIAL", naira: 38_000 },
]);

/** A mobile network operator with the number prefixes it was allocated. */
export interface Telco {
  name: string;
  /** Market share weight. */
  weight: number;
  prefixes: readonly string[];
}

export const TELCOS: readonly Telco[] = deepFreeze([
  { name: "MTN", weight: 50, prefixes: ["0803", "0806", "0813", "0816", "0703", "0706", "0903"] },
  { name: "AIRTEL", weight: 28, prefixes: ["0802", "0808", "0708", "0812"] },
  { name: "GLO", weight: 16, prefixes: ["0805", "0807", "0815", "0705", "0905"] },
  { name: "9MOBILE", weight: 6, prefixes: ["0809", "0817", "0818", "0909"] },
]);

/** Free-mail domains Nigerians use; repeats weight the draw towards the common ones. */
export const EMAIL_DOMAINS: readonly string[] = deepFreeze(["gmail.com", "gmail.com", "gmail.com", "yahoo.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com"]);

/** Parts of company names: "<word> <sector> <suffix>" or "<surname> <sector> <suffix>". */
export const COMPANY_NAME_PARTS = deepFreeze({
  words: ["Sunrise", "Golden", "Eko", "Naija", "Delta", "Savannah", "Royal", "Crown", "Pinnacle", "Apex", "Zion", "Emerald", "Harmony", "Greenfield", "Cedar", "Unity", "Heritage", "Bright Star", "Covenant", "Liberty", "Atlantic", "Niger", "Benue", "Kainji"],
  sectors: ["Logistics", "Agro Allied", "Foods", "Pharmaceuticals", "Construction", "Oil and Gas", "Technologies", "Properties", "Textiles", "Motors", "Farms", "Global Services", "Energy", "Hospitality", "Plastics", "Engineering", "Trading", "Packaging", "Integrated Services", "Healthcare"],
  suffixes: ["Limited", "Ventures", "Nigeria Ltd"],
});

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
