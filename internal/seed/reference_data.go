// Package seed holds the reference data that the project ships as seed data:
// the 15 Health Innovation Networks (formerly AHSNs), the organisations in
// their footprints, the patient safety collaboratives, the national
// programmes, named innovations and pilots, and the metric definitions used
// by the demo data.
//
// The values were written by hand from public sources (kept alongside the
// project as reference notes); nothing here is read from those notes at run
// time. Facts, names, dates and figures follow the sources; descriptions are
// our own short summaries. Where a source gives no value the field is left
// empty rather than guessed, except for stage-history dates and metric
// definitions, which are the project's own modelling choices.
package seed

// Dates are "YYYY-MM-DD" strings (time.DateOnly); "" means unknown or open.

// RegionRef is one of the 15 regional Health Innovation Networks.
type RegionRef struct {
	Code       string // short code, e.g. "HI-EM" (NHS Innovation Service 2024 acronym, upper case)
	Name       string // current name
	FormerName string // AHSN-era name
	Summary    string // one sentence
}

// OrganisationRef is an organisation that takes part in the network's work:
// an ICB, NHS trust, primary care provider, company, university, charity or
// other body.
type OrganisationRef struct {
	Key        string // stable unique key, e.g. "icb:derby-and-derbyshire"
	Name       string // full name
	Kind       string // ICB, NHS_TRUST, PRIMARY_CARE, CARE_HOME, INDUSTRY, ACADEMIA, CHARITY or OTHER
	RegionCode string // region whose footprint it is in; "" for national bodies and companies with no region
	ValidFrom  string // when the organisation came into being, if known
	ValidTo    string // last day of existence if it closed or merged, else ""
}

// CollaborativeRef is a collaborative hosted by one network, such as a
// Patient Safety Collaborative, possibly with several member networks.
type CollaborativeRef struct {
	Code              string // e.g. "PSC-HI-EM"
	Name              string
	Kind              string // PATIENT_SAFETY or OTHER
	HostRegionCode    string
	MemberRegionCodes []string // regions taking part, host included
	Description       string
}

// ProgrammeRef is a national programme or one of its workstreams.
type ProgrammeRef struct {
	Code         string
	Name         string
	Kind         string // PATIENT_SAFETY, NATIONAL_ADOPTION or OTHER
	ClinicalArea string
	Description  string
	StartDate    string   // 04-01 is used when only a financial year is known
	EndDate      string   // "" if open
	ParentCode   string   // programme that a workstream belongs to
	Status       string   // ACTIVE, COMPLETED or WITHDRAWN
	RegionCodes  []string // regions taking part; nil means all 15
	SourceURL    string
}

// StageChangeRef records that an innovation reached Stage on the date On.
type StageChangeRef struct {
	Stage string
	On    string
}

// InnovationRef is a named innovation supported by one or more networks.
type InnovationRef struct {
	Key            string
	Name           string
	Description    string
	InnovatorKey   string // key of an OrganisationRef, "" if unknown or an individual
	LeadRegionCode string // "" when no single network is named
	ClinicalArea   string
	Stage          string           // IDENTIFY_NEED, SELECT_AND_REFINE, DEVELOP_AND_TEST, REAL_WORLD_PILOT, EVIDENCE_INTO_PRACTICE, ADOPTION or SYSTEM_CHANGE
	StageHistory   []StageChangeRef // chronological, ending with Stage
	ProgrammeCodes []string
	SourceURL      string
}

// PilotRef is a named pilot, test or evaluation site for an innovation.
type PilotRef struct {
	InnovationKey string
	SiteKey       string // key of an OrganisationRef
	RegionCode    string
	Status        string // PLANNED, RUNNING, EVALUATING, COMPLETED or STOPPED
	StartDate     string
	EndDate       string
	Summary       string
}

// MetricRef defines an impact metric and how its values combine.
type MetricRef struct {
	Code        string // snake_case
	Name        string
	Description string // what it measures and how it combines across regions
	Unit        string
	Kind        string // COUNT, RATE or SNAPSHOT
}

// Regions lists the 15 networks in the order of the reference list.
var Regions = []RegionRef{
	{
		Code:       "HI-EM",
		Name:       "Health Innovation East Midlands",
		FormerName: "East Midlands AHSN",
		Summary:    "Covers Nottinghamshire, Derbyshire, Leicestershire, Rutland, Lincolnshire and Northamptonshire, and led the national Focus ADHD programme.",
	},
	{
		Code:       "HI-EAST",
		Name:       "Health Innovation East",
		FormerName: "Eastern AHSN",
		Summary:    "Works across Norfolk and Waveney and Suffolk and north east Essex, and hosts the Eastern Patient Safety Collaborative.",
	},
	{
		Code:       "HI-MAN",
		Name:       "Health Innovation Manchester",
		FormerName: "Greater Manchester AHSN",
		Summary:    "The innovation partner of Greater Manchester's single integrated care system (about 3.1m people), whose patient safety collaborative also covers Eastern Cheshire.",
	},
	{
		Code:       "HIN-SL",
		Name:       "Health Innovation Network South London",
		FormerName: "Health Innovation Network",
		Summary:    "Serves the 12 south London boroughs and was already called Health Innovation Network before the 2023 national rename.",
	},
	{
		Code:       "HI-KSS",
		Name:       "Health Innovation Kent Surrey Sussex",
		FormerName: "Kent Surrey Sussex AHSN",
		Summary:    "Covers Kent and Medway, Surrey and Sussex, about 4.3m people when it was set up in 2013.",
	},
	{
		Code:       "HI-NENC",
		Name:       "Health Innovation North East and North Cumbria",
		FormerName: "North East and North Cumbria AHSN",
		Summary:    "Works with the single North East and North Cumbria integrated care board, a population of just over 3m.",
	},
	{
		Code:       "HI-NWC",
		Name:       "Health Innovation North West Coast",
		FormerName: "Innovation Agency (North West Coast AHSN)",
		Summary:    "Formerly the Innovation Agency, covering Cheshire and Merseyside and Lancashire and South Cumbria.",
	},
	{
		Code:       "HI-OTV",
		Name:       "Health Innovation Oxford and Thames Valley",
		FormerName: "Oxford AHSN",
		Summary:    "Covers Buckinghamshire, Oxfordshire and Berkshire West, and the Frimley area, whose network boundary is not clear-cut.",
	},
	{
		Code:       "HI-SW",
		Name:       "Health Innovation South West",
		FormerName: "South West AHSN",
		Summary:    "Covers three integrated care systems, Cornwall and the Isles of Scilly, Devon and Somerset, around 2.3m people.",
	},
	{
		Code:       "HI-WESSEX",
		Name:       "Health Innovation Wessex",
		FormerName: "Wessex AHSN",
		Summary:    "Covers Hampshire, the Isle of Wight and Dorset, and started the polypharmacy action learning sets in 2018.",
	},
	{
		Code:       "HI-WM",
		Name:       "Health Innovation West Midlands",
		FormerName: "West Midlands AHSN",
		Summary:    "Works across the six integrated care boards of the West Midlands.",
	},
	{
		Code:       "HI-WEST",
		Name:       "Health Innovation West of England",
		FormerName: "West of England AHSN",
		Summary:    "Developed PReCePT with University Hospitals Bristol and leads the national polypharmacy programme.",
	},
	{
		Code:       "HI-YH",
		Name:       "Health Innovation Yorkshire & Humber",
		FormerName: "Yorkshire & Humber AHSN",
		Summary:    "Works with the three integrated care boards of Yorkshire and the Humber.",
	},
	{
		Code:       "UCLP",
		Name:       "UCLPartners",
		FormerName: "UCLPartners",
		Summary:    "Covers north central London and mid and south Essex among other areas, hosts the NHS Innovation Accelerator, and kept its name after 2023.",
	},
	{
		Code:       "ICHP",
		Name:       "Imperial College Health Partners",
		FormerName: "Imperial College Health Partners",
		Summary:    "The innovation arm of the North West London integrated care system (about 2.4m people), still using its original name in 2024.",
	},
}

// icbFrom is the date the 42 ICBs were established.
const icbFrom = "2022-07-01"

// Organisations lists every ICB tied to a network, followed by the trusts,
// providers, companies, universities and other bodies named in the sources.
var Organisations = []OrganisationRef{
	// ICBs, grouped by network in the order of Regions.
	{Key: "icb:derby-and-derbyshire", Name: "NHS Derby and Derbyshire Integrated Care Board", Kind: "ICB", RegionCode: "HI-EM", ValidFrom: icbFrom},
	{Key: "icb:nottingham-and-nottinghamshire", Name: "NHS Nottingham and Nottinghamshire Integrated Care Board", Kind: "ICB", RegionCode: "HI-EM", ValidFrom: icbFrom},
	{Key: "icb:leicester-leicestershire-and-rutland", Name: "NHS Leicester, Leicestershire and Rutland Integrated Care Board", Kind: "ICB", RegionCode: "HI-EM", ValidFrom: icbFrom},
	{Key: "icb:lincolnshire", Name: "NHS Lincolnshire Integrated Care Board", Kind: "ICB", RegionCode: "HI-EM", ValidFrom: icbFrom},
	{Key: "icb:northamptonshire", Name: "NHS Northamptonshire Integrated Care Board", Kind: "ICB", RegionCode: "HI-EM", ValidFrom: icbFrom},
	// The six East of England ICBs are to become three merged bodies from April 2026.
	{Key: "icb:norfolk-and-waveney", Name: "NHS Norfolk and Waveney Integrated Care Board", Kind: "ICB", RegionCode: "HI-EAST", ValidFrom: icbFrom, ValidTo: "2026-03-31"},
	{Key: "icb:suffolk-and-north-east-essex", Name: "NHS Suffolk and North East Essex Integrated Care Board", Kind: "ICB", RegionCode: "HI-EAST", ValidFrom: icbFrom, ValidTo: "2026-03-31"},
	{Key: "icb:greater-manchester", Name: "NHS Greater Manchester Integrated Care Board", Kind: "ICB", RegionCode: "HI-MAN", ValidFrom: icbFrom},
	{Key: "icb:south-east-london", Name: "NHS South East London Integrated Care Board", Kind: "ICB", RegionCode: "HIN-SL", ValidFrom: icbFrom},
	{Key: "icb:south-west-london", Name: "NHS South West London Integrated Care Board", Kind: "ICB", RegionCode: "HIN-SL", ValidFrom: icbFrom},
	{Key: "icb:kent-and-medway", Name: "NHS Kent and Medway Integrated Care Board", Kind: "ICB", RegionCode: "HI-KSS", ValidFrom: icbFrom},
	// Sussex and Surrey Heartlands combine into one Surrey and Sussex ICB from 1 April 2026.
	{Key: "icb:sussex", Name: "NHS Sussex Integrated Care Board", Kind: "ICB", RegionCode: "HI-KSS", ValidFrom: icbFrom, ValidTo: "2026-03-31"},
	{Key: "icb:surrey-heartlands", Name: "NHS Surrey Heartlands Integrated Care Board", Kind: "ICB", RegionCode: "HI-KSS", ValidFrom: icbFrom, ValidTo: "2026-03-31"},
	{Key: "icb:surrey-and-sussex", Name: "NHS Surrey and Sussex Integrated Care Board", Kind: "ICB", RegionCode: "HI-KSS", ValidFrom: "2026-04-01"},
	{Key: "icb:north-east-and-north-cumbria", Name: "NHS North East and North Cumbria Integrated Care Board", Kind: "ICB", RegionCode: "HI-NENC", ValidFrom: icbFrom},
	{Key: "icb:cheshire-and-merseyside", Name: "NHS Cheshire and Merseyside Integrated Care Board", Kind: "ICB", RegionCode: "HI-NWC", ValidFrom: icbFrom},
	{Key: "icb:lancashire-and-south-cumbria", Name: "NHS Lancashire and South Cumbria Integrated Care Board", Kind: "ICB", RegionCode: "HI-NWC", ValidFrom: icbFrom},
	{Key: "icb:buckinghamshire-oxfordshire-and-berkshire-west", Name: "NHS Buckinghamshire, Oxfordshire and Berkshire West Integrated Care Board", Kind: "ICB", RegionCode: "HI-OTV", ValidFrom: icbFrom},
	{Key: "icb:frimley", Name: "NHS Frimley Integrated Care Board", Kind: "ICB", RegionCode: "HI-OTV", ValidFrom: icbFrom},
	{Key: "icb:cornwall-and-the-isles-of-scilly", Name: "NHS Cornwall and the Isles of Scilly Integrated Care Board", Kind: "ICB", RegionCode: "HI-SW", ValidFrom: icbFrom},
	{Key: "icb:devon", Name: "NHS Devon Integrated Care Board", Kind: "ICB", RegionCode: "HI-SW", ValidFrom: icbFrom},
	{Key: "icb:somerset", Name: "NHS Somerset Integrated Care Board", Kind: "ICB", RegionCode: "HI-SW", ValidFrom: icbFrom},
	{Key: "icb:hampshire-and-isle-of-wight", Name: "NHS Hampshire and Isle of Wight Integrated Care Board", Kind: "ICB", RegionCode: "HI-WESSEX", ValidFrom: icbFrom},
	{Key: "icb:dorset", Name: "NHS Dorset Integrated Care Board", Kind: "ICB", RegionCode: "HI-WESSEX", ValidFrom: icbFrom},
	{Key: "icb:birmingham-and-solihull", Name: "NHS Birmingham and Solihull Integrated Care Board", Kind: "ICB", RegionCode: "HI-WM", ValidFrom: icbFrom},
	{Key: "icb:black-country", Name: "NHS Black Country Integrated Care Board", Kind: "ICB", RegionCode: "HI-WM", ValidFrom: icbFrom},
	{Key: "icb:coventry-and-warwickshire", Name: "NHS Coventry and Warwickshire Integrated Care Board", Kind: "ICB", RegionCode: "HI-WM", ValidFrom: icbFrom},
	{Key: "icb:herefordshire-and-worcestershire", Name: "NHS Herefordshire and Worcestershire Integrated Care Board", Kind: "ICB", RegionCode: "HI-WM", ValidFrom: icbFrom},
	{Key: "icb:shropshire-telford-and-wrekin", Name: "NHS Shropshire, Telford and Wrekin Integrated Care Board", Kind: "ICB", RegionCode: "HI-WM", ValidFrom: icbFrom},
	{Key: "icb:staffordshire-and-stoke-on-trent", Name: "NHS Staffordshire and Stoke-on-Trent Integrated Care Board", Kind: "ICB", RegionCode: "HI-WM", ValidFrom: icbFrom},
	{Key: "icb:bristol-north-somerset-and-south-gloucestershire", Name: "NHS Bristol, North Somerset and South Gloucestershire Integrated Care Board", Kind: "ICB", RegionCode: "HI-WEST", ValidFrom: icbFrom},
	{Key: "icb:humber-and-north-yorkshire", Name: "NHS Humber and North Yorkshire Integrated Care Board", Kind: "ICB", RegionCode: "HI-YH", ValidFrom: icbFrom},
	{Key: "icb:south-yorkshire", Name: "NHS South Yorkshire Integrated Care Board", Kind: "ICB", RegionCode: "HI-YH", ValidFrom: icbFrom},
	{Key: "icb:west-yorkshire", Name: "NHS West Yorkshire Integrated Care Board", Kind: "ICB", RegionCode: "HI-YH", ValidFrom: icbFrom},
	{Key: "icb:north-central-london", Name: "NHS North Central London Integrated Care Board", Kind: "ICB", RegionCode: "UCLP", ValidFrom: icbFrom},
	{Key: "icb:mid-and-south-essex", Name: "NHS Mid and South Essex Integrated Care Board", Kind: "ICB", RegionCode: "UCLP", ValidFrom: icbFrom, ValidTo: "2026-03-31"},
	{Key: "icb:north-west-london", Name: "NHS North West London Integrated Care Board", Kind: "ICB", RegionCode: "ICHP", ValidFrom: icbFrom},

	// NHS trusts and hospitals.
	{Key: "trust:princess-alexandra-hospital", Name: "The Princess Alexandra Hospital NHS Trust", Kind: "NHS_TRUST", RegionCode: "HI-EAST"},
	{Key: "trust:ipswich-hospital", Name: "Ipswich Hospital", Kind: "NHS_TRUST", RegionCode: "HI-EAST"},
	{Key: "trust:cambridge-university-hospitals", Name: "Cambridge University Hospitals NHS Foundation Trust", Kind: "NHS_TRUST", RegionCode: "HI-EAST"},
	{Key: "trust:norfolk-community-health-and-care", Name: "Norfolk Community Health and Care NHS Trust", Kind: "NHS_TRUST", RegionCode: "HI-EAST"},
	{Key: "trust:newcastle-upon-tyne-hospitals", Name: "The Newcastle upon Tyne Hospitals NHS Foundation Trust", Kind: "NHS_TRUST", RegionCode: "HI-NENC"},
	{Key: "trust:guys-and-st-thomas", Name: "Guy's and St Thomas' NHS Foundation Trust", Kind: "NHS_TRUST", RegionCode: "HIN-SL"},
	{Key: "trust:kingston-hospital", Name: "Kingston Hospital NHS Foundation Trust", Kind: "NHS_TRUST", RegionCode: "HIN-SL"},
	{Key: "trust:kings-college-hospital", Name: "King's College Hospital NHS Foundation Trust", Kind: "NHS_TRUST", RegionCode: "HIN-SL"},
	{Key: "trust:st-georges-university-hospitals", Name: "St George's University Hospitals NHS Foundation Trust", Kind: "NHS_TRUST", RegionCode: "HIN-SL"},
	{Key: "trust:south-london-and-maudsley", Name: "South London and Maudsley NHS Foundation Trust", Kind: "NHS_TRUST", RegionCode: "HIN-SL"},
	{Key: "trust:leicestershire-partnership", Name: "Leicestershire Partnership NHS Trust", Kind: "NHS_TRUST", RegionCode: "HI-EM"},
	{Key: "trust:university-hospitals-bristol", Name: "University Hospitals Bristol NHS Foundation Trust", Kind: "NHS_TRUST", RegionCode: "HI-WEST"},
	{Key: "trust:royal-surrey-county-hospital", Name: "Royal Surrey County Hospital NHS Foundation Trust", Kind: "NHS_TRUST", RegionCode: "HI-KSS"},
	{Key: "trust:sussex-community", Name: "Sussex Community NHS Foundation Trust", Kind: "NHS_TRUST", RegionCode: "HI-KSS"},
	{Key: "trust:east-sussex-healthcare", Name: "East Sussex Healthcare NHS Trust", Kind: "NHS_TRUST", RegionCode: "HI-KSS"},
	{Key: "trust:cornwall-partnership", Name: "Cornwall Partnership NHS Foundation Trust", Kind: "NHS_TRUST", RegionCode: "HI-SW"},
	{Key: "trust:alder-hey-childrens", Name: "Alder Hey Children's NHS Foundation Trust", Kind: "NHS_TRUST", RegionCode: "HI-NWC"},
	{Key: "trust:birmingham-womens-and-childrens", Name: "Birmingham Women's and Children's NHS Foundation Trust", Kind: "NHS_TRUST", RegionCode: "HI-WM"},
	{Key: "trust:chelsea-and-westminster", Name: "Chelsea and Westminster Hospital NHS Foundation Trust", Kind: "NHS_TRUST", RegionCode: "ICHP"},

	// Primary care.
	{Key: "primary-care:pier-health-group-pcn", Name: "Pier Health Group Primary Care Network", Kind: "PRIMARY_CARE", RegionCode: "HI-WEST"},

	// Other providers (community interest companies, independent clinics).
	{Key: "other:east-coast-community-healthcare", Name: "East Coast Community Healthcare CIC", Kind: "OTHER", RegionCode: "HI-EAST"},
	{Key: "other:bromley-healthcare", Name: "Bromley Healthcare", Kind: "OTHER", RegionCode: "HIN-SL"},
	{Key: "other:pioneer-wound-healing", Name: "Pioneer Wound Healing and Lymphoedema Centres", Kind: "OTHER", RegionCode: "HI-KSS"},
	{Key: "other:mabadiliko-cic", Name: "Mabadiliko CIC", Kind: "OTHER", RegionCode: "HIN-SL"},

	// Companies.
	{Key: "industry:little-journey", Name: "Little Journey", Kind: "INDUSTRY"},
	{Key: "industry:whzan", Name: "Whzan", Kind: "INDUSTRY"},
	{Key: "industry:pocdoc", Name: "PocDoc", Kind: "INDUSTRY", RegionCode: "HI-EAST"},
	{Key: "industry:reset-health", Name: "Reset Health (Roczen)", Kind: "INDUSTRY"},
	{Key: "industry:zesty", Name: "Zesty", Kind: "INDUSTRY"},
	{Key: "industry:healthy-io", Name: "Healthy.io", Kind: "INDUSTRY"},
	{Key: "industry:good-boost", Name: "Good Boost", Kind: "INDUSTRY"},
	{Key: "industry:getubetter", Name: "getUBetter", Kind: "INDUSTRY"},
	{Key: "industry:qbtech", Name: "Qbtech", Kind: "INDUSTRY"},
	{Key: "industry:alivecor", Name: "AliveCor", Kind: "INDUSTRY"},
	{Key: "industry:link-mobility", Name: "LINK Mobility", Kind: "INDUSTRY"},
	{Key: "industry:heartflow", Name: "HeartFlow", Kind: "INDUSTRY"},
	{Key: "industry:11-health", Name: "11 Health", Kind: "INDUSTRY"},
	{Key: "industry:perfect-ward", Name: "Perfect Ward", Kind: "INDUSTRY"},
	{Key: "industry:unity-insights", Name: "Unity Insights", Kind: "INDUSTRY"},

	// Universities and academic partnerships.
	{Key: "academia:university-of-nottingham", Name: "University of Nottingham", Kind: "ACADEMIA", RegionCode: "HI-EM"},
	{Key: "academia:kings-college-london", Name: "King's College London", Kind: "ACADEMIA", RegionCode: "HIN-SL"},
	{Key: "academia:kings-health-partners", Name: "King's Health Partners", Kind: "ACADEMIA", RegionCode: "HIN-SL"},

	// Charities.
	{Key: "charity:versus-arthritis", Name: "Versus Arthritis", Kind: "CHARITY"},

	// National bodies and network teams.
	{Key: "other:nhs-business-services-authority", Name: "NHS Business Services Authority", Kind: "OTHER"},
	{Key: "other:high-intensity-network", Name: "High Intensity Network", Kind: "OTHER"},
	{Key: "other:eastern-patient-safety-collaborative", Name: "Eastern Patient Safety Collaborative", Kind: "OTHER", RegionCode: "HI-EAST"},
	{Key: "other:health-innovation-manchester", Name: "Health Innovation Manchester", Kind: "OTHER", RegionCode: "HI-MAN"},
}

// Collaboratives lists the 15 Patient Safety Collaboratives, one hosted by
// each network, and the other named cross-network collaboratives.
var Collaboratives = []CollaborativeRef{
	psc("HI-EM", "East Midlands Patient Safety Collaborative"),
	psc("HI-EAST", "Eastern Patient Safety Collaborative"),
	{
		Code:              "PSC-HI-MAN",
		Name:              "Greater Manchester and Eastern Cheshire Patient Safety Collaborative (GMEC PSC)",
		Kind:              "PATIENT_SAFETY",
		HostRegionCode:    "HI-MAN",
		MemberRegionCodes: []string{"HI-MAN"},
		Description:       "Patient safety collaborative hosted by Health Innovation Manchester; its footprint adds Eastern Cheshire to Greater Manchester.",
	},
	psc("HIN-SL", "South London Patient Safety Collaborative"),
	psc("HI-KSS", "Kent Surrey Sussex Patient Safety Collaborative"),
	psc("HI-NENC", "North East and North Cumbria Patient Safety Collaborative"),
	psc("HI-NWC", "North West Coast Patient Safety Collaborative"),
	psc("HI-OTV", "Oxford and Thames Valley Patient Safety Collaborative"),
	psc("HI-SW", "South West Patient Safety Collaborative"),
	psc("HI-WESSEX", "Wessex Patient Safety Collaborative"),
	psc("HI-WM", "West Midlands Patient Safety Collaborative"),
	psc("HI-WEST", "West of England Patient Safety Collaborative"),
	psc("HI-YH", "Yorkshire and Humber Patient Safety Collaborative"),
	psc("UCLP", "UCLPartners Patient Safety Collaborative"),
	psc("ICHP", "North West London Patient Safety Collaborative"),
	{
		Code:              "SOUTH-MH-QPS",
		Name:              "South of England Mental Health Quality and Patient Safety Improvement Collaborative",
		Kind:              "OTHER",
		HostRegionCode:    "HI-WEST",
		MemberRegionCodes: []string{"HI-WEST", "HI-SW", "HI-KSS", "HI-OTV"},
		Description:       "Mental health safety collaborative led by West of England with the South West, Kent Surrey Sussex and Oxford networks, bringing together 16 mental health trusts.",
	},
	{
		Code:              "ELC",
		Name:              "Emergency Laparotomy Collaborative",
		Kind:              "OTHER",
		HostRegionCode:    "HI-KSS",
		MemberRegionCodes: []string{"HI-KSS", "HI-WESSEX", "HI-WEST"},
		Description:       "Formed in 2015 with Health Foundation support by the Kent Surrey Sussex, Wessex and West of England networks; 28 hospitals in 24 trusts used the ELPQuiC care bundle.",
	},
}

// psc builds the Patient Safety Collaborative hosted by one region.
func psc(region, name string) CollaborativeRef {
	return CollaborativeRef{
		Code:              "PSC-" + region,
		Name:              name,
		Kind:              "PATIENT_SAFETY",
		HostRegionCode:    region,
		MemberRegionCodes: []string{region},
		Description:       "One of the 15 patient safety collaboratives launched in October 2014; its catchment is the host network's footprint.",
	}
}

// Programmes lists the national programmes and workstreams; a parent always
// comes before its children.
var Programmes = []ProgrammeRef{
	{
		Code:         "PSC",
		Name:         "Patient Safety Collaboratives",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "patient safety (all settings)",
		Description:  "Fifteen regional safety collaboratives, one hosted by each network over its footprint, launched on 14 October 2014 after the Berwick review and first funded by NHS England for five years.",
		StartDate:    "2014-10-14",
		Status:       "ACTIVE",
		SourceURL:    "https://www.medicalnewstoday.com/releases/283769.php",
	},
	{
		Code:         "NATPATSIP",
		Name:         "National Patient Safety Improvement Programmes (NatPatSIP)",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "patient safety",
		Description:  "NHS England's safety improvement programmes under the July 2019 Patient Safety Strategy, delivered locally through the 15 patient safety collaboratives.",
		StartDate:    "2019-07-01",
		Status:       "ACTIVE",
		SourceURL:    "https://www.england.nhs.uk/patient-safety/patient-safety-improvement-programmes/",
	},
	{
		Code:         "MANDETSIP",
		Name:         "Managing Deterioration Safety Improvement Programme (ManDetSIP)",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "deterioration (acute, ambulance, care homes, paediatrics)",
		Description:  "Reduces harm from physical deterioration by improving how it is prevented, identified, escalated and responded to. Sources quote target dates from March 2023 to 2027.",
		StartDate:    "2019-07-01",
		ParentCode:   "NATPATSIP",
		Status:       "ACTIVE",
		SourceURL:    "https://healthinnovationeast.co.uk/about-us/our-projects/natpatsips",
	},
	{
		Code:         "MANDET-NEWS2",
		Name:         "NEWS2 adoption (acute and ambulance trusts)",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "adult deterioration",
		Description:  "Helped acute and ambulance trusts, and later non-acute settings, adopt the National Early Warning Score 2.",
		ParentCode:   "MANDETSIP",
		Status:       "ACTIVE",
		SourceURL:    "https://www.innovationagencynwc.nhs.uk/our-work/health-and-social-care/patient-safety/managing-deterioration",
	},
	{
		Code:         "MANDET-CAREHOMES",
		Name:         "Deterioration management tools in care homes (RESTORE2, RESTORE2mini, soft signs, SBARD)",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "deterioration in care homes",
		Description:  "Spreads RESTORE2, RESTORE2mini, soft signs and SBARD in care homes, which became the main ManDetSIP focus from April 2022.",
		ParentCode:   "MANDETSIP",
		Status:       "ACTIVE",
		SourceURL:    "https://healthinnowest.net/our-work/improving-patient-safety/the-deteriorating-patient/structured-mortality-reviews",
	},
	{
		Code:         "MANDET-PEWS",
		Name:         "Paediatric Early Warning Score (PEWS) and System-wide Paediatric Observations Tracking (SPOT)",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "paediatric deterioration",
		Description:  "Supported testing of the national paediatric early warning score and its spread, with a system-wide observation tracker, to suitable settings.",
		ParentCode:   "MANDETSIP",
		Status:       "ACTIVE",
		SourceURL:    "https://www.weahsn.net/our-work/improving-patient-safety/the-deteriorating-patient/",
	},
	{
		Code:         "COVID-OXIMETRY",
		Name:         "COVID Oximetry @home and COVID virtual wards",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "COVID-19 remote monitoring",
		Description:  "Spread of home pulse-oximetry monitoring for COVID-19 patients during 2020-21; every CCG had launched the model by December 2020.",
		StartDate:    "2020-04-01",
		EndDate:      "2021-03-31",
		ParentCode:   "MANDETSIP",
		Status:       "COMPLETED",
		SourceURL:    "https://www.weahsn.net/our-work/improving-patient-safety/the-deteriorating-patient/",
	},
	{
		Code:         "MARTHAS-RULE",
		Name:         "Martha's Rule",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "deterioration / patient and family escalation",
		Description:  "Lets patients and families ask for an urgent clinical review. Phase 1 ran at 143 sites from May 2024 to March 2025 and phase 2 covers all remaining acute inpatient sites from April 2025.",
		StartDate:    "2024-05-01",
		ParentCode:   "MANDETSIP",
		Status:       "ACTIVE",
		SourceURL:    "https://healthinnovationmanchester.com/our-work/patient-safety-collaborative-gmecpsc-managing-deterioration",
	},
	{
		Code:         "MATNEOSIP",
		Name:         "Maternity and Neonatal Safety Improvement Programme (MatNeoSIP)",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "maternity and neonatal",
		Description:  "Maternity and neonatal safety programme that began in 2016 as the Maternal and Neonatal Health Safety Collaborative. It aims to halve deaths, stillbirths and brain injuries and to cut preterm births from 8% to 6%.",
		StartDate:    "2016-04-01",
		ParentCode:   "NATPATSIP",
		Status:       "ACTIVE",
		SourceURL:    "https://www.england.nhs.uk/mat-transformation/maternal-and-neonatal-safety-collaborative",
	},
	{
		Code:         "MATNEO-MEWS",
		Name:         "Maternity Early Warning Score (MEWS)",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "maternal deterioration",
		Description:  "Develops a national maternity early warning score and spreads it to every maternity provider.",
		ParentCode:   "MATNEOSIP",
		Status:       "ACTIVE",
		SourceURL:    "https://www.swahsn.com/national-programmes/patient-safety/maternal-and-neonatal/",
	},
	{
		Code:         "MATNEO-NEWTT",
		Name:         "Newborn Early Warning Trigger and Track (NEWTT)",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "neonatal deterioration",
		Description:  "Spreads the newborn early warning trigger and track tool to all maternity and neonatal services.",
		ParentCode:   "MATNEOSIP",
		Status:       "ACTIVE",
		SourceURL:    "https://www.swahsn.com/national-programmes/patient-safety/maternal-and-neonatal/",
	},
	{
		Code:         "MATNEO-PRETERM",
		Name:         "Preterm perinatal optimisation care pathway",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "preterm infants",
		Description:  "Spreads the preterm optimisation pathway of nine BAPM interventions, aiming for at least 95% adoption by March 2025.",
		ParentCode:   "MATNEOSIP",
		Status:       "ACTIVE",
		SourceURL:    "https://www.swahsn.com/national-programmes/patient-safety/maternal-and-neonatal/",
	},
	{
		Code:         "MATNEO-SMOKEFREE",
		Name:         "Smoke-free pregnancies",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "maternity",
		Description:  "Supports the ambition that at least 94% of pregnancies are smoke-free.",
		ParentCode:   "MATNEOSIP",
		Status:       "ACTIVE",
		SourceURL:    "https://www.swahsn.com/national-programmes/patient-safety/maternal-and-neonatal/",
	},
	{
		Code:         "ABC",
		Name:         "Avoiding Brain Injury in Childbirth (ABC)",
		Kind:         "OTHER",
		ClinicalArea: "maternity",
		Description:  "National initiative commissioned by DHSC, RCM, RCOG and THIS Institute to greatly reduce avoidable brain injuries in childbirth by 2027.",
		Status:       "ACTIVE",
		SourceURL:    "https://www.healthinnovationoxford.org/clinical-priorities/maternity-and-neonatal",
	},
	{
		Code:         "MEDSIP",
		Name:         "Medicines Safety Improvement Programme (MedSIP)",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "medicines safety",
		Description:  "Aims to halve severe avoidable medication harm, focusing on medicines administration in care homes, high-dose opioids for chronic non-cancer pain and methotrexate.",
		StartDate:    "2019-07-01",
		EndDate:      "2025-03-31",
		ParentCode:   "NATPATSIP",
		Status:       "COMPLETED",
		SourceURL:    "https://www.patientsafetyoxford.org/clinical-safety-programmes/medicines-safety/medicines-safety-overview/",
	},
	{
		Code:         "MEDSIP-OPIOIDS",
		Name:         "Reducing harm from opioids in chronic non-cancer pain",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "medicines safety / pain",
		Description:  "Reduces long-term and high-dose opioid prescribing for chronic non-cancer pain against national reduction targets to 31 March 2025.",
		EndDate:      "2025-03-31",
		ParentCode:   "MEDSIP",
		Status:       "COMPLETED",
		SourceURL:    "https://thehealthinnovationnetwork.co.uk/programmes/medicines/medicines-safety",
	},
	{
		Code:         "MEDSIP-CAREHOMES",
		Name:         "Safer medicines administration in care homes",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "medicines safety / care homes",
		Description:  "Aims to halve medicine administration errors in care homes using safety champions, huddles, learning from incidents and fewer medication-round interruptions.",
		StartDate:    "2019-07-01",
		ParentCode:   "MEDSIP",
		Status:       "ACTIVE",
		SourceURL:    "https://psc.healthinnovation-kss.com/our-work/safe-medicines",
	},
	{
		Code:         "MHSIP",
		Name:         "Mental Health Safety Improvement Programme (MHSIP)",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "mental health inpatient safety",
		Description:  "Improves inpatient mental health safety by reducing restrictive practice, improving sexual safety and reducing suicide and self-harm.",
		ParentCode:   "NATPATSIP",
		Status:       "ACTIVE",
		SourceURL:    "https://www.patientsafetyoxford.org/clinical-safety-programmes/mental-health/mental-health-safety-improvement-programme/",
	},
	{
		Code:         "MHSIP-RRP",
		Name:         "Reducing restrictive practice (RRP)",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "mental health / learning disability / autism inpatient",
		Description:  "Tests and scales the NCCMH change package for reducing restrictive practice on mental health, learning disability and autism wards.",
		ParentCode:   "MHSIP",
		Status:       "ACTIVE",
		SourceURL:    "https://www.healthinnovationyh.org.uk/mhp/",
	},
	{
		Code:         "ASSIP",
		Name:         "Adoption and Spread Safety Improvement Programme (A&S SIP)",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "acute care pathways",
		Description:  "Spreads proven safety interventions such as the COPD and asthma discharge bundles, tracheostomy safety measures and the emergency laparotomy bundle.",
		ParentCode:   "NATPATSIP",
		Status:       "ACTIVE",
		SourceURL:    "https://www.swahsn.com/national-programmes/patient-safety/adoption-spread/",
	},
	{
		Code:         "SSIP",
		Name:         "System Safety Improvement Programme (SSIP)",
		Kind:         "PATIENT_SAFETY",
		ClinicalArea: "system safety / PSIRF",
		Description:  "Works with integrated care systems on the conditions for safety improvement, including the Patient Safety Incident Response Framework.",
		ParentCode:   "NATPATSIP",
		Status:       "ACTIVE",
		SourceURL:    "https://healthinnovationeast.co.uk/about-us/our-projects/system-safety-improvement-programme-ssip/",
	},
	{
		Code:         "AF",
		Name:         "Atrial Fibrillation (Detect, Protect, Perfect)",
		Kind:         "NATIONAL_ADOPTION",
		ClinicalArea: "cardiovascular / stroke prevention",
		Description:  "National programme to detect atrial fibrillation, protect patients with anticoagulation and perfect their care so that strokes are prevented.",
		StartDate:    "2018-04-01",
		EndDate:      "2020-03-31",
		Status:       "COMPLETED",
		SourceURL:    "https://www.ahsnnetwork.com/about-academic-health-science-networks/national-programmes-priorities/atrial-fibrillation",
	},
	{
		Code:         "ESCAPE-PAIN",
		Name:         "ESCAPE-pain (Enabling Self-management and Coping with Arthritic Pain using Exercise)",
		Kind:         "NATIONAL_ADOPTION",
		ClinicalArea: "musculoskeletal (knee/hip osteoarthritis)",
		Description:  "National spread, with Versus Arthritis and Sport England, of a group exercise and self-management programme for knee and hip osteoarthritis.",
		StartDate:    "2018-04-01",
		EndDate:      "2020-03-31",
		Status:       "COMPLETED",
		SourceURL:    "https://www.ahsnnetwork.com/about-academic-health-science-networks/national-programmes-priorities/escape-pain",
	},
	{
		Code:         "EMLAP",
		Name:         "Emergency Laparotomy Collaborative (ELPQuiC care bundle)",
		Kind:         "NATIONAL_ADOPTION",
		ClinicalArea: "emergency surgery",
		Description:  "National spread of the ELPQuiC care bundle for emergency laparotomy, building on the 2015 collaborative of 28 hospitals.",
		StartDate:    "2018-04-01",
		EndDate:      "2020-03-31",
		Status:       "COMPLETED",
		SourceURL:    "https://www.ahsnnetwork.com/about-academic-health-science-networks/national-programmes-priorities/emergency-laparotomy-collaborative",
	},
	{
		Code:         "PINCER",
		Name:         "PINCER (pharmacist-led IT intervention for reducing clinically important errors)",
		Kind:         "NATIONAL_ADOPTION",
		ClinicalArea: "medicines safety (primary care prescribing)",
		Description:  "National spread of a pharmacist-led IT intervention that searches GP records for hazardous prescribing and corrects it.",
		StartDate:    "2018-04-01",
		EndDate:      "2021-06-30",
		Status:       "COMPLETED",
		SourceURL:    "https://www.yhahsn.org.uk/service/population-health-service/pincer/",
	},
	{
		Code:         "PRECEPT",
		Name:         "PReCePT (Prevention of Cerebral Palsy in Preterm Labour)",
		Kind:         "NATIONAL_ADOPTION",
		ClinicalArea: "maternity / neonatal neuroprotection",
		Description:  "Raises the use of magnesium sulphate in eligible preterm births to protect babies from cerebral palsy; sustained through MatNeoSIP after 2020.",
		StartDate:    "2018-04-01",
		EndDate:      "2020-03-31",
		Status:       "COMPLETED",
		SourceURL:    "https://www.ahsnnetwork.com/about-academic-health-science-networks/national-programmes-priorities/precept",
	},
	{
		Code:         "SIM",
		Name:         "Serenity Integrated Mentoring (SIM)",
		Kind:         "NATIONAL_ADOPTION",
		ClinicalArea: "mental health (high intensity users)",
		Description:  "Spread of a joint police and mental health model for people who often use crisis services. National support ended in March 2020 and in 2023 NHS England said SIM and similar models should not be used.",
		StartDate:    "2018-04-01",
		EndDate:      "2020-03-31",
		Status:       "WITHDRAWN",
		SourceURL:    "https://thehealthinnovationnetwork.co.uk/news/ahsn-network-statement-on-sim-serenity-integrated-mentoring/",
	},
	{
		Code:         "TCAM",
		Name:         "Transfers of Care Around Medicines (TCAM)",
		Kind:         "NATIONAL_ADOPTION",
		ClinicalArea: "medicines optimisation at hospital discharge",
		Description:  "Digital referral from hospital to community pharmacy at discharge, spread to acute trusts and commissioned nationally as the NHS Discharge Medicines Service from February 2021.",
		StartDate:    "2018-04-01",
		EndDate:      "2021-03-31",
		Status:       "COMPLETED",
		SourceURL:    "https://healthinnovationwessex.org.uk/projects/54/transfers-of-care-around-medicines-now-the-nhs-discharge-medicines-service",
	},
	{
		Code:         "FREED",
		Name:         "Early Intervention Eating Disorders / FREED (First Episode Rapid Early intervention for Eating Disorders)",
		Kind:         "NATIONAL_ADOPTION",
		ClinicalArea: "mental health (eating disorders, 16-25)",
		Description:  "National scaling, with SLaM and King's College London, of a rapid early intervention model for 16 to 25 year olds with a first episode of an eating disorder.",
		StartDate:    "2020-04-01",
		EndDate:      "2023-03-31",
		Status:       "COMPLETED",
		SourceURL:    "https://www.ahsnnetwork.com/programmes/mental-health-and-neurodiversity/early-intervention-eating-disorders/",
	},
	{
		Code:         "FOCUS-ADHD",
		Name:         "Focus ADHD (QbTest objective assessment)",
		Kind:         "NATIONAL_ADOPTION",
		ClinicalArea: "mental health / neurodevelopment (ADHD, children and young people)",
		Description:  "National roll-out, led by East Midlands, of QbTest objective assessment in CAMHS and community paediatrics to speed up ADHD diagnosis.",
		StartDate:    "2020-04-01",
		EndDate:      "2023-03-31",
		Status:       "COMPLETED",
		SourceURL:    "https://www.healthcare-management.uk/local-change-national-impact",
	},
	{
		Code:         "LIPID-FH",
		Name:         "Lipid management and familial hypercholesterolaemia (FH)",
		Kind:         "NATIONAL_ADOPTION",
		ClinicalArea: "cardiovascular disease",
		Description:  "National programme with the AAC to treat more people with cardiovascular disease to lipid targets and find more people with familial hypercholesterolaemia.",
		StartDate:    "2020-10-01",
		EndDate:      "2023-03-31",
		Status:       "COMPLETED",
		SourceURL:    "https://thehealthinnovationnetwork.co.uk/news/lm-fh-summary/",
	},
	{
		Code:         "POLYPHARMACY",
		Name:         "Polypharmacy Programme: getting the balance right",
		Kind:         "NATIONAL_ADOPTION",
		ClinicalArea: "medicines optimisation (problematic polypharmacy)",
		Description:  "NHS England-funded programme led by Health Innovation West of England that tackles problematic polypharmacy through prescribing data, action learning sets and public behaviour change.",
		StartDate:    "2022-04-01",
		Status:       "ACTIVE",
		SourceURL:    "https://www.healthinnovationyh.org.uk/news/national-polypharmacy-programme-supports-better-conversations-about-medicines/",
	},
	{
		Code:         "BPO",
		Name:         "Blood Pressure Optimisation (BPO)",
		Kind:         "NATIONAL_ADOPTION",
		ClinicalArea: "cardiovascular (hypertension)",
		Description:  "One-year programme putting the UCLPartners proactive care framework for hypertension into primary care networks.",
		StartDate:    "2022-04-01",
		EndDate:      "2023-03-31",
		Status:       "COMPLETED",
		SourceURL:    "https://healthinnovationnenc.org.uk/what-we-do/improving-population-health/cardiovascular-disease-prevention/blood-pressure-monitoring/",
	},
	{
		Code:         "TWC",
		Name:         "Transforming Wound Care (lower limb)",
		Kind:         "NATIONAL_ADOPTION",
		ClinicalArea: "wound care (lower limb)",
		Description:  "Spreads the National Wound Care Strategy Programme's lower limb recommendations, starting in 2022 with test and evaluation sites in five networks.",
		StartDate:    "2022-04-01",
		Status:       "ACTIVE",
		RegionCodes:  []string{"HI-EAST", "HIN-SL", "HI-KSS", "HI-OTV", "HI-SW"},
		SourceURL:    "https://thehealthinnovationnetwork.co.uk/news/transforming-wound-care-first-test-sites-announced-in-new-national-programme/",
	},
	{
		Code:         "NWCSP",
		Name:         "National Wound Care Strategy Programme (NWCSP)",
		Kind:         "OTHER",
		ClinicalArea: "wound care (pressure ulcers, lower limb, surgical wounds)",
		Description:  "Programme commissioned in 2018 by the NHS England nursing directorate and delivered by the AHSN Network to improve care of pressure ulcers, lower limb and surgical wounds.",
		StartDate:    "2018-04-01",
		Status:       "ACTIVE",
		SourceURL:    "https://www.ahsnnetwork.com/about-academic-health-science-networks/national-programmes-priorities/national-wound-care-strategy-programme/",
	},
	{
		Code:         "INHIP",
		Name:         "Innovation for Healthcare Inequalities Programme (InHIP)",
		Kind:         "OTHER",
		ClinicalArea: "health inequalities (Core20PLUS5: maternity, SMI, chronic respiratory, early cancer diagnosis, CVD/hypertension)",
		Description:  "Joint programme of the AAC, the National Healthcare Inequalities Improvement Programme and the networks, funding ICS projects of up to £100,000 that target Core20PLUS5 inequalities.",
		StartDate:    "2022-04-01",
		Status:       "ACTIVE",
		SourceURL:    "https://swahsn.com/annualreview/evaluation-expertise-to-help-tackle-healthcare-inequalities/",
	},
	{
		Code:         "RUP",
		Name:         "Rapid Uptake Products (RUP) programme",
		Kind:         "OTHER",
		ClinicalArea: "NICE-approved products with low uptake",
		Description:  "AAC-commissioned support, led by the networks, for NICE-approved products whose uptake has been lower than expected.",
		Status:       "ACTIVE",
		SourceURL:    "https://www.ahsnnetwork.com/more-than-8000-patients-benefitting-from-two-new-rapid-uptake-products",
	},
	{
		Code:         "ASTHMA-RUP",
		Name:         "Transforming Asthma Pathways (FeNO testing and asthma biologics)",
		Kind:         "OTHER",
		ClinicalArea: "respiratory (asthma)",
		Description:  "Rapid uptake workstreams on FeNO testing, led by Wessex, and asthma biologics, led by Oxford; the programme closed at the end of March 2023.",
		EndDate:      "2023-03-30",
		ParentCode:   "RUP",
		Status:       "COMPLETED",
		SourceURL:    "https://wmahsn.org/our_work/transforming-asthma-pathways-end-of-programme-statement-30-03-2023/",
	},
	{
		Code:         "NIA",
		Name:         "NHS Innovation Accelerator (NIA)",
		Kind:         "OTHER",
		ClinicalArea: "cross-cutting (innovator fellowship)",
		Description:  "NHS England fellowship for innovators, launched in January 2015, hosted at UCLPartners and delivered with the 15 networks.",
		StartDate:    "2015-01-01",
		Status:       "ACTIVE",
		SourceURL:    "https://healthbusinessuk.net/node/5314",
	},
	{
		Code:         "ITT-ITP",
		Name:         "Innovation and Technology Tariff (ITT) / Innovation and Technology Payment (ITP)",
		Kind:         "OTHER",
		ClinicalArea: "medtech uptake (national reimbursement)",
		Description:  "NHS England schemes that reimbursed selected innovations nationally, with the networks supporting local uptake.",
		StartDate:    "2017-04-01",
		EndDate:      "2021-03-31",
		Status:       "COMPLETED",
		SourceURL:    "http://wmahsn.org/news/2016/11/02/Medtech_innovations_to_have_accelerated_uptake_under_new_tariff",
	},
	{
		Code:         "MTFM",
		Name:         "MedTech Funding Mandate (MTFM)",
		Kind:         "OTHER",
		ClinicalArea: "medtech uptake (NICE-approved cost-saving devices/diagnostics/digital)",
		Description:  "Policy from 1 April 2021 that requires the NHS to fund selected cost-saving technologies recommended by NICE.",
		StartDate:    "2021-04-01",
		Status:       "ACTIVE",
		SourceURL:    "https://readkong.com/page/medtech-funding-mandate-policy-2021-22-guidance-for-nhs-6603145",
	},
	{
		Code:         "AI-AWARD",
		Name:         "Artificial Intelligence in Health and Care Award",
		Kind:         "OTHER",
		ClinicalArea: "AI technologies",
		Description:  "A £140m, three-year award run by the AAC with NHSX and NIHR for AI technologies, with the networks helping adoption.",
		Status:       "ACTIVE",
		SourceURL:    "https://healthinnovationnetwork.com/tag/technology/",
	},
	{
		Code:         "INNOVATION-EXCHANGE",
		Name:         "Innovation Exchanges (Office for Life Sciences commission)",
		Kind:         "OTHER",
		ClinicalArea: "innovator support / pipeline",
		Description:  "Office for Life Sciences funding, since the 2018 licence, for network innovation exchanges that support innovators and build a national pipeline.",
		StartDate:    "2018-04-01",
		Status:       "ACTIVE",
		SourceURL:    "https://healthinnovationnenc.org.uk/blog/the-next-five-years-lessons-from-the-first-ahsn-licence/",
	},
}

// stages is a helper for writing stage histories as stage/date pairs.
func stages(pairs ...string) []StageChangeRef {
	out := make([]StageChangeRef, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, StageChangeRef{Stage: pairs[i], On: pairs[i+1]})
	}
	return out
}

// Innovations lists every named innovation in the reference list, plus the
// lower limb wound care pathway so that the Transforming Wound Care test
// sites can be recorded as pilots.
var Innovations = []InnovationRef{
	{
		Key:            "little-journey",
		Name:           "Little Journey (child peri-procedural anxiety app and VR tour)",
		Description:    "App with a virtual reality tour that prepares children for surgery and reduces their anxiety, created by anaesthetist Dr Chris Evans.",
		InnovatorKey:   "industry:little-journey",
		LeadRegionCode: "HI-EAST",
		ClinicalArea:   "paediatric surgery / peri-operative anxiety",
		Stage:          "ADOPTION",
		StageHistory:   stages("DEVELOP_AND_TEST", "2017-04-01", "ADOPTION", "2018-04-01"),
		ProgrammeCodes: []string{"INNOVATION-EXCHANGE"},
		SourceURL:      "http://portfolio.cpl.co.uk/portfolio/Eastern-AHSN/impact-review-2018-19/little-journey/page.html",
	},
	{
		Key:            "medic-bleep",
		Name:           "Medic Bleep",
		Description:    "Innovation in a longer-term partnership with Eastern AHSN; its stage is not published.",
		LeadRegionCode: "HI-EAST",
		Stage:          "DEVELOP_AND_TEST",
		StageHistory:   stages("DEVELOP_AND_TEST", "2019-04-01"),
		SourceURL:      "https://healthinnovationeast.co.uk/new-publication/impact-review-2019-20/foreword/page.html",
	},
	{
		Key:            "just-one-norfolk",
		Name:           "Just One Norfolk",
		Description:    "Innovation in a longer-term partnership with Eastern AHSN; its stage is not published.",
		LeadRegionCode: "HI-EAST",
		Stage:          "DEVELOP_AND_TEST",
		StageHistory:   stages("DEVELOP_AND_TEST", "2019-04-01"),
		SourceURL:      "https://healthinnovationeast.co.uk/new-publication/impact-review-2019-20/foreword/page.html",
	},
	{
		Key:            "gut-reaction",
		Name:           "Gut Reaction (Health Data Research Hub for Inflammatory Bowel Disease)",
		Description:    "Health data research hub for inflammatory bowel disease, built as a cloud research environment by Cambridge University Hospitals and 17 partners.",
		InnovatorKey:   "trust:cambridge-university-hospitals",
		LeadRegionCode: "HI-EAST",
		ClinicalArea:   "inflammatory bowel disease / health data",
		Stage:          "DEVELOP_AND_TEST",
		StageHistory:   stages("DEVELOP_AND_TEST", "2019-04-01"),
		SourceURL:      "https://healthinnovationeast.co.uk/new-publication/impact-review-2019-20/foreword/page.html",
	},
	{
		Key:            "whzan-blue-box",
		Name:           "Whzan blue box (digital NEWS2, soft signs and SBAR)",
		Description:    "Telehealth kit that lets care home staff record NEWS2 observations, soft signs and SBAR handovers digitally.",
		InnovatorKey:   "industry:whzan",
		LeadRegionCode: "HI-EAST",
		ClinicalArea:   "deterioration in care homes",
		Stage:          "EVIDENCE_INTO_PRACTICE",
		StageHistory:   stages("EVIDENCE_INTO_PRACTICE", "2020-04-01"),
		ProgrammeCodes: []string{"MANDETSIP", "MANDET-CAREHOMES"},
		SourceURL:      "https://www.easternahsn.org/about-us/our-projects/deterioration-mandetsip/",
	},
	{
		Key:            "opioid-deprescribing-toolkit",
		Name:           "Opioid deprescribing toolkit / Whole Systems Approach to High-Risk Opioid Prescribing",
		Description:    "System-wide approach and toolkit for reducing high-risk opioid prescribing, put into practice across Norfolk and Waveney.",
		InnovatorKey:   "other:eastern-patient-safety-collaborative",
		LeadRegionCode: "HI-EAST",
		ClinicalArea:   "medicines safety (opioids)",
		Stage:          "REAL_WORLD_PILOT",
		StageHistory:   stages("REAL_WORLD_PILOT", "2022-04-01"),
		ProgrammeCodes: []string{"MEDSIP", "MEDSIP-OPIOIDS"},
		SourceURL:      "https://easternahsn.org/about-us/our-projects/medicines-safety-medsip/",
	},
	{
		Key:            "pocdoc-lipid-test",
		Name:           "PocDoc Lipid Test / Healthy Heart Check",
		Description:    "Rapid point-of-care cholesterol test used for community heart health checks; the company is led by co-founder Steve Roest.",
		InnovatorKey:   "industry:pocdoc",
		LeadRegionCode: "HI-NENC",
		ClinicalArea:   "cardiovascular disease prevention (cholesterol)",
		Stage:          "REAL_WORLD_PILOT",
		StageHistory:   stages("REAL_WORLD_PILOT", "2023-05-01"),
		SourceURL:      "https://healthinnovationnenc.org.uk/thousands-of-north-east-patients-to-benefit-from-revolutionary-cholesterol-testing/",
	},
	{
		Key:            "tcam-referral",
		Name:           "Transfers of Care Around Medicines (TCAM) electronic referral to community pharmacy",
		Description:    "Electronic referral of patients from hospital to their community pharmacy at discharge, first used in Newcastle and now the national Discharge Medicines Service.",
		InnovatorKey:   "trust:newcastle-upon-tyne-hospitals",
		LeadRegionCode: "HI-NENC",
		ClinicalArea:   "medicines optimisation at discharge",
		Stage:          "SYSTEM_CHANGE",
		StageHistory:   stages("EVIDENCE_INTO_PRACTICE", "2018-04-01", "SYSTEM_CHANGE", "2021-02-01"),
		ProgrammeCodes: []string{"TCAM"},
		SourceURL:      "https://healthinnovationwessex.org.uk/projects/54/transfers-of-care-around-medicines-now-the-nhs-discharge-medicines-service",
	},
	{
		Key:            "episcissors-60",
		Name:           "Episcissors-60 (fixed-angle episiotomy scissors)",
		Description:    "Scissors with a fixed 60-degree angle for episiotomy, intended to reduce obstetric anal sphincter injuries.",
		LeadRegionCode: "HI-NENC",
		ClinicalArea:   "maternity (obstetric anal sphincter injury)",
		Stage:          "REAL_WORLD_PILOT",
		StageHistory:   stages("REAL_WORLD_PILOT", "2017-04-01"),
		ProgrammeCodes: []string{"ITT-ITP"},
		SourceURL:      "http://www.ahsn-nenc.org.uk/what-we-do/supporting-economic-growth/itt-itp/",
	},
	{
		Key:            "mycopd",
		Name:           "myCOPD (web-based COPD self-management)",
		Description:    "Web-based self-management programme for people with COPD, taken up by two CCGs by June 2018 under the Innovation and Technology Tariff.",
		LeadRegionCode: "HI-NENC",
		ClinicalArea:   "respiratory (COPD)",
		Stage:          "ADOPTION",
		StageHistory:   stages("ADOPTION", "2017-04-01"),
		ProgrammeCodes: []string{"ITT-ITP"},
		SourceURL:      "http://www.ahsn-nenc.org.uk/what-we-do/supporting-economic-growth/itt-itp/",
	},
	{
		Key:            "non-injectable-arterial-connector",
		Name:           "Non-Injectable Arterial Connector (NIC)",
		Description:    "Arterial line connector that prevents drugs being injected into an arterial line by mistake.",
		LeadRegionCode: "HI-NENC",
		ClinicalArea:   "patient safety (arterial lines)",
		Stage:          "REAL_WORLD_PILOT",
		StageHistory:   stages("REAL_WORLD_PILOT", "2018-05-01"),
		ProgrammeCodes: []string{"ITT-ITP"},
		SourceURL:      "http://www.ahsn-nenc.org.uk/what-we-do/supporting-economic-growth/itt-itp/",
	},
	{
		Key:            "roczen",
		Name:           "Roczen digitally enabled tier 3 weight management platform",
		Description:    "Digital tier 3 weight management service, evaluated in a three-year NIHR i4i study with Guy's and St Thomas'.",
		InnovatorKey:   "industry:reset-health",
		LeadRegionCode: "HIN-SL",
		ClinicalArea:   "obesity / weight management",
		Stage:          "REAL_WORLD_PILOT",
		StageHistory:   stages("REAL_WORLD_PILOT", "2024-11-01"),
		SourceURL:      "https://healthinnovationnetwork.com/author/michael-mbanunu",
	},
	{
		Key:            "zesty",
		Name:           "Zesty digital portal (IBD self-management)",
		Description:    "Digital patient portal that supports self-management for people with inflammatory bowel disease.",
		InnovatorKey:   "industry:zesty",
		LeadRegionCode: "HIN-SL",
		ClinicalArea:   "inflammatory bowel disease",
		Stage:          "REAL_WORLD_PILOT",
		StageHistory:   stages("REAL_WORLD_PILOT", "2019-04-01"),
		SourceURL:      "https://www-ukauthority-com.azurewebsites.net/articles/hin-funds-new-round-of-digital-healthcare-projects",
	},
	{
		Key:            "healthy-io",
		Name:           "Healthy.io digital urine screening",
		Description:    "Digital urine screening test used to find chronic kidney disease.",
		InnovatorKey:   "industry:healthy-io",
		LeadRegionCode: "HIN-SL",
		ClinicalArea:   "chronic kidney disease",
		Stage:          "REAL_WORLD_PILOT",
		StageHistory:   stages("REAL_WORLD_PILOT", "2019-04-01"),
		SourceURL:      "https://www-ukauthority-com.azurewebsites.net/articles/hin-funds-new-round-of-digital-healthcare-projects",
	},
	{
		Key:            "good-boost",
		Name:           "Good Boost AI rehabilitation app",
		Description:    "App that uses AI to support rehabilitation for musculoskeletal conditions.",
		InnovatorKey:   "industry:good-boost",
		LeadRegionCode: "HIN-SL",
		ClinicalArea:   "musculoskeletal",
		Stage:          "REAL_WORLD_PILOT",
		StageHistory:   stages("REAL_WORLD_PILOT", "2019-04-01"),
		SourceURL:      "https://www-ukauthority-com.azurewebsites.net/articles/hin-funds-new-round-of-digital-healthcare-projects",
	},
	{
		Key:            "getubetter",
		Name:           "getUBetter self-management app",
		Description:    "Self-management app guiding people through recovery from acute back and leg pain.",
		InnovatorKey:   "industry:getubetter",
		LeadRegionCode: "HIN-SL",
		ClinicalArea:   "musculoskeletal (acute back and leg pain)",
		Stage:          "REAL_WORLD_PILOT",
		StageHistory:   stages("REAL_WORLD_PILOT", "2019-04-01"),
		SourceURL:      "https://www-ukauthority-com.azurewebsites.net/articles/hin-funds-new-round-of-digital-healthcare-projects",
	},
	{
		Key:            "escape-pain",
		Name:           "ESCAPE-pain",
		Description:    "Group rehabilitation of 10 to 12 supervised exercise and self-management sessions for knee and hip osteoarthritis, developed by Prof Mike Hurley.",
		LeadRegionCode: "HIN-SL",
		ClinicalArea:   "musculoskeletal (knee/hip osteoarthritis)",
		Stage:          "EVIDENCE_INTO_PRACTICE",
		StageHistory:   stages("SELECT_AND_REFINE", "2013-04-01", "EVIDENCE_INTO_PRACTICE", "2018-04-01"),
		ProgrammeCodes: []string{"ESCAPE-PAIN", "NIA"},
		SourceURL:      "https://www.ahsnnetwork.com/about-academic-health-science-networks/national-programmes-priorities/escape-pain",
	},
	{
		Key:            "freed",
		Name:           "FREED (First Episode Rapid Early intervention for Eating Disorders)",
		Description:    "Service model giving 16 to 25 year olds with a recent-onset eating disorder rapid, specialist early treatment.",
		InnovatorKey:   "trust:south-london-and-maudsley",
		LeadRegionCode: "HIN-SL",
		ClinicalArea:   "eating disorders (16-25)",
		Stage:          "EVIDENCE_INTO_PRACTICE",
		StageHistory:   stages("EVIDENCE_INTO_PRACTICE", "2020-04-01"),
		ProgrammeCodes: []string{"FREED"},
		SourceURL:      "https://ahsn-nenc.org.uk/eating-disorder-awareness-week-ahsn-nenc-proud-to-support-regional-roll-out-of-national-freed-approach/",
	},
	{
		Key:            "community-bp-screening",
		Name:           "Community Blood Pressure Screening",
		Description:    "Community-led blood pressure checks in south London run by Mabadiliko CIC with local partners.",
		InnovatorKey:   "other:mabadiliko-cic",
		LeadRegionCode: "HIN-SL",
		ClinicalArea:   "hypertension",
		Stage:          "DEVELOP_AND_TEST",
		StageHistory:   stages("DEVELOP_AND_TEST", "2024-04-01"),
		SourceURL:      "https://healthinnovationnetwork.com/hin-annual-report-24-25",
	},
	{
		Key:            "qbtest",
		Name:           "QbTest (objective ADHD assessment)",
		Description:    "Computer-based test of attention, activity and impulsivity that gives clinicians objective data when assessing ADHD in children and young people.",
		InnovatorKey:   "industry:qbtech",
		LeadRegionCode: "HI-EM",
		ClinicalArea:   "ADHD in children and young people",
		Stage:          "EVIDENCE_INTO_PRACTICE",
		StageHistory:   stages("REAL_WORLD_PILOT", "2017-04-01", "EVIDENCE_INTO_PRACTICE", "2020-04-01"),
		ProgrammeCodes: []string{"FOCUS-ADHD"},
		SourceURL:      "https://www.healthcare-management.uk/local-change-national-impact",
	},
	{
		Key:            "pincer",
		Name:           "PINCER",
		Description:    "Pharmacist-led searches of GP records that find and correct hazardous prescribing, developed at the University of Nottingham and delivered through PRIMIS.",
		InnovatorKey:   "academia:university-of-nottingham",
		LeadRegionCode: "HI-EM",
		ClinicalArea:   "medicines safety (GP prescribing)",
		Stage:          "EVIDENCE_INTO_PRACTICE",
		StageHistory:   stages("REAL_WORLD_PILOT", "2015-09-01", "EVIDENCE_INTO_PRACTICE", "2018-04-01"),
		ProgrammeCodes: []string{"PINCER"},
		SourceURL:      "https://managementinpractice.com/news/gp-pharmacist-led-initiative-to-cut-prescribing-errors-to-reach-40-of-practices-by-2020",
	},
	{
		Key:            "precept",
		Name:           "PReCePT (magnesium sulphate for preterm neuroprotection)",
		Description:    "Quality improvement approach that makes sure eligible women in preterm labour are given magnesium sulphate to protect the baby's brain.",
		InnovatorKey:   "trust:university-hospitals-bristol",
		LeadRegionCode: "HI-WEST",
		ClinicalArea:   "maternity / neonatal",
		Stage:          "SYSTEM_CHANGE",
		StageHistory: stages(
			"REAL_WORLD_PILOT", "2014-02-01",
			"EVIDENCE_INTO_PRACTICE", "2018-04-01",
			"SYSTEM_CHANGE", "2020-04-01",
		),
		ProgrammeCodes: []string{"PRECEPT", "MATNEOSIP", "ASSIP"},
		SourceURL:      "https://www.ahsnnetwork.com/about-academic-health-science-networks/national-programmes-priorities/precept",
	},
	{
		Key:            "alivecor-kardia",
		Name:           "AliveCor Kardia mobile ECG",
		Description:    "Handheld single-lead ECG device used to find atrial fibrillation in community and primary care settings.",
		InnovatorKey:   "industry:alivecor",
		LeadRegionCode: "HI-WEST",
		ClinicalArea:   "atrial fibrillation detection",
		Stage:          "EVIDENCE_INTO_PRACTICE",
		StageHistory:   stages("EVIDENCE_INTO_PRACTICE", "2018-04-01"),
		ProgrammeCodes: []string{"AF"},
		SourceURL:      "https://www.healthinnowest.net/our-work/transforming-services-and-systems/atrial-fibrillation/",
	},
	{
		Key:            "family-health-prevention-programme",
		Name:           "Family Health Prevention Programme to optimise cholesterol management (InHIP)",
		Description:    "InHIP project by a primary care network in Weston, Worle and Villages to optimise cholesterol management through family health prevention, piloted in two GP surgeries.",
		InnovatorKey:   "primary-care:pier-health-group-pcn",
		LeadRegionCode: "HI-WEST",
		ClinicalArea:   "cardiovascular disease / health inequalities",
		Stage:          "REAL_WORLD_PILOT",
		StageHistory:   stages("REAL_WORLD_PILOT", "2022-04-01"),
		ProgrammeCodes: []string{"INHIP"},
		SourceURL:      "https://www.weahsn.net/our-work/transforming-services-and-systems/innovation-for-healthcare-inequalities-programme/",
	},
	{
		Key:            "polypharmacy-action-learning-sets",
		Name:           "Polypharmacy Action Learning Sets",
		Description:    "Facilitated peer learning that helps clinicians tackle problematic polypharmacy, started by Wessex pharmacists and a GP with a first cohort in Southampton in 2018.",
		LeadRegionCode: "HI-WESSEX",
		ClinicalArea:   "medicines optimisation (polypharmacy)",
		Stage:          "EVIDENCE_INTO_PRACTICE",
		StageHistory:   stages("REAL_WORLD_PILOT", "2018-04-01", "EVIDENCE_INTO_PRACTICE", "2022-04-01"),
		ProgrammeCodes: []string{"POLYPHARMACY"},
		SourceURL:      "https://healthinnovationwessex.org.uk/news/2129/celebrating-five-years-of-wessex-innovation-in-polypharmacy-training",
	},
	{
		Key:            "nhsbsa-polypharmacy-comparators",
		Name:           "NHSBSA Polypharmacy Prescribing Comparators",
		Description:    "Prescribing data indicators that help practices and systems find patients who may be at risk from polypharmacy.",
		InnovatorKey:   "other:nhs-business-services-authority",
		LeadRegionCode: "HI-WESSEX",
		ClinicalArea:   "medicines optimisation (polypharmacy)",
		Stage:          "ADOPTION",
		StageHistory:   stages("ADOPTION", "2022-04-01"),
		ProgrammeCodes: []string{"POLYPHARMACY"},
		SourceURL:      "https://healthinnovationwessex.org.uk/news/2129/celebrating-five-years-of-wessex-innovation-in-polypharmacy-training",
	},
	{
		Key:            "serenity-integrated-mentoring",
		Name:           "Serenity Integrated Mentoring (SIM)",
		Description:    "Police and mental health model for people who often use crisis services, which started on the Isle of Wight. National support was withdrawn and NHS England advised in 2023 against its use.",
		InnovatorKey:   "other:high-intensity-network",
		LeadRegionCode: "HI-WESSEX",
		ClinicalArea:   "mental health (high intensity users of s136)",
		Stage:          "EVIDENCE_INTO_PRACTICE",
		StageHistory:   stages("EVIDENCE_INTO_PRACTICE", "2018-04-01"),
		ProgrammeCodes: []string{"SIM"},
		SourceURL:      "https://healthinnovationwessex.org.uk/news/show/2022/statement-regarding-serenity-integrated-mentoring-sim",
	},
	{
		Key:            "plgf-testing",
		Name:           "Placental growth factor (PlGF)-based pre-eclampsia testing",
		Description:    "Blood test that helps rule pre-eclampsia in or out in women with suspected disease.",
		LeadRegionCode: "HI-WESSEX",
		ClinicalArea:   "maternity (pre-eclampsia)",
		Stage:          "ADOPTION",
		StageHistory:   stages("ADOPTION", "2022-04-01"),
		ProgrammeCodes: []string{"MTFM", "MATNEOSIP", "RUP"},
		SourceURL:      "https://healthinnovationwessex.org.uk/annual-review-2022-23/lsar",
	},
	{
		Key:            "elpquic-bundle",
		Name:           "Emergency Laparotomy Pathway Quality Improvement Care (ELPQuiC) bundle",
		Description:    "Care bundle of evidence-based steps for patients having emergency laparotomy, which began at Royal Surrey County Hospital.",
		InnovatorKey:   "trust:royal-surrey-county-hospital",
		LeadRegionCode: "HI-KSS",
		ClinicalArea:   "emergency general surgery",
		Stage:          "EVIDENCE_INTO_PRACTICE",
		StageHistory:   stages("REAL_WORLD_PILOT", "2015-04-01", "EVIDENCE_INTO_PRACTICE", "2018-04-01"),
		ProgrammeCodes: []string{"EMLAP", "ASSIP"},
		SourceURL:      "https://clinicalinnovation.org.uk/project/emergency-laparotomy-collaborative/",
	},
	{
		Key:            "alder-hey-whatsapp-escalation",
		Name:           "WhatsApp urgent escalation route for Martha's Rule",
		Description:    "WhatsApp channel through which families can raise an urgent Martha's Rule escalation; Alder Hey was the first UK children's hospital to offer it.",
		InnovatorKey:   "trust:alder-hey-childrens",
		LeadRegionCode: "HI-NWC",
		ClinicalArea:   "patient safety / paediatric deterioration",
		Stage:          "ADOPTION",
		StageHistory:   stages("ADOPTION", "2024-05-01"),
		ProgrammeCodes: []string{"MARTHAS-RULE"},
		SourceURL:      "https://www.healthinnovationnwc.nhs.uk/case-studies/study/45",
	},
	{
		Key:            "gm-care-record",
		Name:           "Greater Manchester Care Record",
		Description:    "Shared care record for Greater Manchester used by over 21,000 professionals in 2023-24.",
		InnovatorKey:   "other:health-innovation-manchester",
		LeadRegionCode: "HI-MAN",
		ClinicalArea:   "shared care record",
		Stage:          "SYSTEM_CHANGE",
		StageHistory:   stages("SYSTEM_CHANGE", "2023-04-01"),
		SourceURL:      "https://healthinnovationmanchester.com/news/health-innovation-manchester-delivers-demonstrable-impact-to-greater-manchester-through-the-deployment-of-innovation",
	},
	{
		Key:            "iol-flow-coordinator",
		Name:           "Induction of Labour flow and capacity coordinator and midwife",
		Description:    "Dedicated coordinator and midwife roles for induction of labour that cut admission delays from about seven hours to under 15 minutes.",
		InnovatorKey:   "trust:birmingham-womens-and-childrens",
		LeadRegionCode: "HI-WM",
		ClinicalArea:   "maternity (induction of labour)",
		Stage:          "REAL_WORLD_PILOT",
		StageHistory:   stages("REAL_WORLD_PILOT", "2023-04-01"),
		SourceURL:      "https://healthinnovationwestmidlands.org/impact-report-2023-24-launch",
	},
	{
		Key:            "heart-failure-outreach-van",
		Name:           "Heart failure outreach van (InHIP)",
		Description:    "Outreach van bringing heart failure care to under-served communities in mid and south Essex, as an InHIP project.",
		InnovatorKey:   "icb:mid-and-south-essex",
		LeadRegionCode: "UCLP",
		ClinicalArea:   "heart failure / health inequalities",
		Stage:          "REAL_WORLD_PILOT",
		StageHistory:   stages("REAL_WORLD_PILOT", "2022-04-01"),
		ProgrammeCodes: []string{"INHIP"},
		SourceURL:      "https://uclpartners.com/project/driving-a-step-change-in-healthcare-inequalities",
	},
	{
		Key:            "community-cholesterol-outreach",
		Name:           "Community cholesterol outreach in two deprived wards (InHIP)",
		Description:    "Community cholesterol checks and follow-up in two deprived wards of north central London.",
		InnovatorKey:   "icb:north-central-london",
		LeadRegionCode: "UCLP",
		ClinicalArea:   "cardiovascular disease / health inequalities",
		Stage:          "REAL_WORLD_PILOT",
		StageHistory:   stages("REAL_WORLD_PILOT", "2022-04-01"),
		ProgrammeCodes: []string{"INHIP"},
		SourceURL:      "https://uclpartners.com/project/driving-a-step-change-in-healthcare-inequalities",
	},
	{
		Key:            "heartflow-ffrct",
		Name:           "HeartFlow FFRCT",
		Description:    "Analysis of coronary CT scans that estimates blood flow to show whether narrowed arteries need treatment.",
		InnovatorKey:   "industry:heartflow",
		ClinicalArea:   "coronary artery disease diagnosis",
		Stage:          "ADOPTION",
		StageHistory:   stages("ADOPTION", "2018-04-01"),
		ProgrammeCodes: []string{"ITT-ITP"},
		SourceURL:      "https://www.england.nhs.uk/ourwork/innovation/innovation-and-technology-payment-201819/",
	},
	{
		Key:            "endocuff-vision",
		Name:           "Endocuff Vision",
		Description:    "Attachment for the tip of a colonoscope that improves the view of the bowel during colonoscopy.",
		ClinicalArea:   "bowel cancer screening / colonoscopy",
		Stage:          "ADOPTION",
		StageHistory:   stages("ADOPTION", "2018-04-01"),
		ProgrammeCodes: []string{"ITT-ITP"},
		SourceURL:      "https://www.england.nhs.uk/ourwork/innovation/innovation-and-technology-payment-201819/",
	},
	{
		Key:            "securacath",
		Name:           "SecurAcath",
		Description:    "Subcutaneous anchor that holds PICC lines in place to reduce movement and infection risk.",
		ClinicalArea:   "PICC line securement / infection prevention",
		Stage:          "ADOPTION",
		StageHistory:   stages("ADOPTION", "2018-04-01"),
		ProgrammeCodes: []string{"ITT-ITP"},
		SourceURL:      "https://www.england.nhs.uk/ourwork/innovation/innovation-and-technology-payment-201819/",
	},
	{
		Key:            "plus-sutures",
		Name:           "Plus Sutures (antimicrobial sutures)",
		Description:    "Sutures coated with an antimicrobial to lower the risk of surgical site infection.",
		ClinicalArea:   "surgical site infection",
		Stage:          "ADOPTION",
		StageHistory:   stages("ADOPTION", "2018-04-01"),
		ProgrammeCodes: []string{"ITT-ITP"},
		SourceURL:      "https://www.england.nhs.uk/ourwork/innovation/innovation-and-technology-payment-201819/",
	},
	{
		Key:            "gammacore",
		Name:           "gammaCore (non-invasive vagus nerve stimulation)",
		Description:    "Handheld device that stimulates the vagus nerve through the skin to treat cluster headache.",
		ClinicalArea:   "cluster headache",
		Stage:          "ADOPTION",
		StageHistory:   stages("ADOPTION", "2020-04-01"),
		ProgrammeCodes: []string{"ITT-ITP"},
		SourceURL:      "https://pdfslide.us/documents/nhs-england-and-nhs-improvement-innovation-and-22-nationally-agreed-pricing.html",
	},
	{
		Key:            "spaceoar-hydrogel",
		Name:           "SpaceOAR Hydrogel",
		Description:    "Gel spacer placed between the prostate and rectum to protect the rectum during prostate radiotherapy.",
		ClinicalArea:   "prostate radiotherapy",
		Stage:          "ADOPTION",
		StageHistory:   stages("ADOPTION", "2020-04-01"),
		ProgrammeCodes: []string{"ITT-ITP"},
		SourceURL:      "https://pdfslide.us/documents/nhs-england-and-nhs-improvement-innovation-and-22-nationally-agreed-pricing.html",
	},
	{
		Key:            "spectra-optia",
		Name:           "Spectra Optia (automated red cell exchange)",
		Description:    "Apheresis system for automated red cell exchange in people with sickle cell disease.",
		ClinicalArea:   "sickle cell disease",
		Stage:          "ADOPTION",
		StageHistory:   stages("ADOPTION", "2021-04-01"),
		ProgrammeCodes: []string{"MTFM"},
		SourceURL:      "https://england.nhs.uk/long-read/medical-technology-medtech-funding-mandate-policy-guidance",
	},
	{
		Key:            "cladribine",
		Name:           "Cladribine tablets",
		Description:    "Oral treatment for multiple sclerosis supported as a rapid uptake product, with UCLPartners leading a change to prescribing requirements for the network.",
		LeadRegionCode: "UCLP",
		ClinicalArea:   "multiple sclerosis",
		Stage:          "ADOPTION",
		StageHistory:   stages("ADOPTION", "2020-04-01"),
		ProgrammeCodes: []string{"RUP"},
		SourceURL:      "https://www.ahsnnetwork.com/more-than-8000-patients-benefitting-from-two-new-rapid-uptake-products",
	},
	{
		Key:          "11-health-stoma-bag",
		Name:         "11 Health digital stoma bag",
		Description:  "Digital stoma bag from a DigitalHealth.London Accelerator company, trialled at Chelsea and Westminster with SBRI funding.",
		InnovatorKey: "industry:11-health",
		ClinicalArea: "stoma care",
		Stage:        "REAL_WORLD_PILOT",
		StageHistory: stages("REAL_WORLD_PILOT", "2017-04-01"),
		SourceURL:    "http://www.healthfoundry.org/news/2018/1/23/lunchlearn-how-to-get-your-digital-health-innovation-into-the-nhs",
	},
	{
		Key:          "perfect-ward",
		Name:         "Perfect Ward (digital ward audit)",
		Description:  "App for ward inspections and quality audits, deployed across 40 wards and departments at Chelsea and Westminster.",
		InnovatorKey: "industry:perfect-ward",
		ClinicalArea: "ward audit and accreditation",
		Stage:        "ADOPTION",
		StageHistory: stages("ADOPTION", "2017-04-01"),
		SourceURL:    "http://www.healthfoundry.org/news/2018/1/23/lunchlearn-how-to-get-your-digital-health-innovation-into-the-nhs",
	},
	// Not a row of the innovations list: the care pathway that the
	// Transforming Wound Care test sites put into practice.
	{
		Key:            "lower-limb-wound-care-pathway",
		Name:           "National Wound Care Strategy lower limb recommendations",
		Description:    "Evidence-based recommendations for assessing and treating lower limb wounds, tested at sites in five networks from 2022.",
		ClinicalArea:   "wound care (lower limb)",
		Stage:          "REAL_WORLD_PILOT",
		StageHistory:   stages("DEVELOP_AND_TEST", "2018-04-01", "REAL_WORLD_PILOT", "2022-10-01"),
		ProgrammeCodes: []string{"NWCSP", "TWC"},
		SourceURL:      "https://thehealthinnovationnetwork.co.uk/news/transforming-wound-care-first-test-sites-announced-in-new-national-programme/",
	},
}

// twcSite is a Transforming Wound Care phase 1 test site (announced October 2022).
func twcSite(site, region, summary string) PilotRef {
	return PilotRef{
		InnovationKey: "lower-limb-wound-care-pathway",
		SiteKey:       site,
		RegionCode:    region,
		Status:        "EVALUATING",
		StartDate:     "2022-10-01",
		Summary:       summary,
	}
}

// hinSLPilot is one of the 12-month pilots funded in a HIN south London round.
func hinSLPilot(innovation, site, summary string) PilotRef {
	return PilotRef{
		InnovationKey: innovation,
		SiteKey:       site,
		RegionCode:    "HIN-SL",
		Status:        "COMPLETED",
		Summary:       summary,
	}
}

// Pilots lists named pilots, test sites and local evaluations.
var Pilots = []PilotRef{
	hinSLPilot("zesty", "trust:kingston-hospital", "12-month pilot of the Zesty IBD portal led by Kingston Hospital, funded by HIN south London."),
	hinSLPilot("healthy-io", "trust:kings-college-hospital", "12-month pilot of home urine screening for kidney disease led by King's College Hospital, funded by HIN south London."),
	hinSLPilot("good-boost", "trust:kings-college-hospital", "12-month pilot of AI-guided MSK rehabilitation led by King's College Hospital, funded by HIN south London."),
	hinSLPilot("getubetter", "trust:st-georges-university-hospitals", "12-month pilot of the getUBetter back pain app led by St George's, funded by HIN south London."),
	{
		InnovationKey: "roczen",
		SiteKey:       "trust:guys-and-st-thomas",
		RegionCode:    "HIN-SL",
		Status:        "RUNNING",
		StartDate:     "2024-11-01",
		Summary:       "Three-year NIHR i4i-funded evaluation (£1.3m) of digital tier 3 weight management with Guy's and St Thomas'.",
	},
	{
		InnovationKey: "pocdoc-lipid-test",
		SiteKey:       "icb:north-east-and-north-cumbria",
		RegionCode:    "HI-NENC",
		Status:        "RUNNING",
		StartDate:     "2023-05-01",
		Summary:       "Regional pilot of 10,000 rapid lipid tests in Newcastle practices and a Cleveland workplace, followed by community Healthy Heart Checks for over 1,300 people.",
	},
	{
		InnovationKey: "non-injectable-arterial-connector",
		SiteKey:       "trust:newcastle-upon-tyne-hospitals",
		RegionCode:    "HI-NENC",
		Status:        "COMPLETED",
		StartDate:     "2018-05-01",
		EndDate:       "2018-10-31",
		Summary:       "Six-month pilot of the non-injectable arterial connector at Newcastle upon Tyne Hospitals under the Innovation and Technology Tariff.",
	},
	{
		InnovationKey: "episcissors-60",
		SiteKey:       "trust:newcastle-upon-tyne-hospitals",
		RegionCode:    "HI-NENC",
		Status:        "COMPLETED",
		Summary:       "Real-world evaluation in five maternity units, coordinated by Newcastle upon Tyne Hospitals.",
	},
	{
		InnovationKey: "opioid-deprescribing-toolkit",
		SiteKey:       "icb:norfolk-and-waveney",
		RegionCode:    "HI-EAST",
		Status:        "COMPLETED",
		StartDate:     "2022-04-01",
		EndDate:       "2023-03-31",
		Summary:       "System-wide implementation of the high-risk opioid prescribing approach across the Norfolk and Waveney system in 2022/23.",
	},
	{
		InnovationKey: "precept",
		SiteKey:       "trust:university-hospitals-bristol",
		RegionCode:    "HI-WEST",
		Status:        "COMPLETED",
		StartDate:     "2014-02-01",
		EndDate:       "2015-03-31",
		Summary:       "First PReCePT quality improvement project, run by West of England AHSN with University Hospitals Bristol.",
	},
	{
		InnovationKey: "freed",
		SiteKey:       "trust:leicestershire-partnership",
		RegionCode:    "HI-EM",
		Status:        "COMPLETED",
		StartDate:     "2020-04-01",
		EndDate:       "2021-03-31",
		Summary:       "One of 18 FREED sites given NHS England funding in 2020/21 and one of two in the East Midlands.",
	},
	{
		InnovationKey: "family-health-prevention-programme",
		SiteKey:       "primary-care:pier-health-group-pcn",
		RegionCode:    "HI-WEST",
		Status:        "COMPLETED",
		Summary:       "InHIP pilot of family cholesterol management in two GP surgeries of Pier Health Group PCN.",
	},
	{
		InnovationKey: "heart-failure-outreach-van",
		SiteKey:       "icb:mid-and-south-essex",
		RegionCode:    "UCLP",
		Status:        "COMPLETED",
		Summary:       "InHIP pilot of a heart failure outreach van in mid and south Essex.",
	},
	{
		InnovationKey: "community-cholesterol-outreach",
		SiteKey:       "icb:north-central-london",
		RegionCode:    "UCLP",
		Status:        "COMPLETED",
		Summary:       "InHIP pilot of cholesterol outreach in two deprived wards of north central London.",
	},
	{
		InnovationKey: "iol-flow-coordinator",
		SiteKey:       "trust:birmingham-womens-and-childrens",
		RegionCode:    "HI-WM",
		Status:        "COMPLETED",
		StartDate:     "2023-04-01",
		EndDate:       "2024-03-31",
		Summary:       "Induction of labour coordinator roles at Birmingham Women's Hospital in 2023-24, cutting admission delays from about 7 hours to under 15 minutes.",
	},
	{
		InnovationKey: "alder-hey-whatsapp-escalation",
		SiteKey:       "trust:alder-hey-childrens",
		RegionCode:    "HI-NWC",
		Status:        "RUNNING",
		Summary:       "Alder Hey offers families a WhatsApp route for Martha's Rule escalations, with LINK Mobility.",
	},
	{
		InnovationKey: "11-health-stoma-bag",
		SiteKey:       "trust:chelsea-and-westminster",
		RegionCode:    "ICHP",
		Status:        "COMPLETED",
		Summary:       "SBRI-funded (£45,000) trial of the digital stoma bag at Chelsea and Westminster.",
	},
	twcSite("other:east-coast-community-healthcare", "HI-EAST", "Transforming Wound Care phase 1 test site in Norfolk and Waveney, with Health Innovation East."),
	twcSite("trust:norfolk-community-health-and-care", "HI-EAST", "Transforming Wound Care phase 1 test site in Norfolk and Waveney, with Health Innovation East."),
	twcSite("other:bromley-healthcare", "HIN-SL", "Transforming Wound Care phase 1 test site in south east London, with HIN south London."),
	twcSite("trust:sussex-community", "HI-KSS", "Transforming Wound Care phase 1 test site in Sussex, with Health Innovation Kent Surrey Sussex."),
	twcSite("trust:east-sussex-healthcare", "HI-KSS", "Transforming Wound Care phase 1 test site in Sussex, with Health Innovation Kent Surrey Sussex."),
	twcSite("other:pioneer-wound-healing", "HI-KSS", "Transforming Wound Care phase 1 test site in Sussex, with Health Innovation Kent Surrey Sussex."),
	twcSite("icb:frimley", "HI-OTV", "Transforming Wound Care phase 1 test site in the Frimley system, with the Oxford network."),
	twcSite("trust:cornwall-partnership", "HI-SW", "Transforming Wound Care phase 1 test site in Cornwall and the Isles of Scilly, with Health Innovation South West."),
}

// Metrics defines the impact metrics used by the demo data.
var Metrics = []MetricRef{
	{
		Code:        "patients_benefiting",
		Name:        "Patients benefiting",
		Description: "Patients who benefited from a programme or innovation in the period. Summed across regions and periods.",
		Unit:        "patients",
		Kind:        "COUNT",
	},
	{
		Code:        "cost_savings",
		Name:        "Cost savings",
		Description: "Estimated cash-releasing and productivity savings to the NHS in the period. Summed across regions and periods.",
		Unit:        "GBP",
		Kind:        "COUNT",
	},
	{
		Code:        "bed_days_saved",
		Name:        "Bed days saved",
		Description: "Hospital bed days avoided through shorter stays or avoided admissions in the period. Summed across regions and periods.",
		Unit:        "bed days",
		Kind:        "COUNT",
	},
	{
		Code:        "staff_trained",
		Name:        "Staff trained",
		Description: "Health and care staff trained to use an innovation or improvement method in the period. Summed across regions and periods.",
		Unit:        "staff",
		Kind:        "COUNT",
	},
	{
		Code:        "jobs_created",
		Name:        "Jobs created or safeguarded",
		Description: "Jobs created or safeguarded in supported companies in the period. Summed across regions and periods.",
		Unit:        "jobs",
		Kind:        "COUNT",
	},
	{
		Code:        "investment_leveraged",
		Name:        "Investment leveraged",
		Description: "Investment and funding secured by supported innovators in the period. Summed across regions and periods.",
		Unit:        "GBP",
		Kind:        "COUNT",
	},
	{
		Code:        "mgso4_uptake",
		Name:        "Magnesium sulphate uptake",
		Description: "Share of eligible preterm births where the mother was given magnesium sulphate (numerator: births given it; denominator: eligible births). Combined as sum(numerator)/sum(denominator), never as an average of regional rates.",
		Unit:        "percent",
		Kind:        "RATE",
	},
	{
		Code:        "lipid_treated_to_target",
		Name:        "People with CVD treated to lipid target",
		Description: "Share of people with known cardiovascular disease whose lipids are treated to NICE-recommended thresholds (numerator: treated to target; denominator: people with CVD). Combined as sum(numerator)/sum(denominator).",
		Unit:        "percent",
		Kind:        "RATE",
	},
	{
		Code:        "care_homes_using_restore2",
		Name:        "Care homes using RESTORE2",
		Description: "Share of care homes using RESTORE2 or a similar deterioration tool (numerator: homes using it; denominator: care homes in the area). Combined as sum(numerator)/sum(denominator).",
		Unit:        "percent",
		Kind:        "RATE",
	},
	{
		Code:        "sites_live",
		Name:        "Sites live",
		Description: "Sites delivering an innovation at the end of the period. The latest value per region in the window is taken, then summed across regions.",
		Unit:        "sites",
		Kind:        "SNAPSHOT",
	},
	{
		Code:        "trusts_adopted",
		Name:        "Trusts adopted",
		Description: "NHS trusts that have adopted an innovation at the end of the period. The latest value per region in the window is taken, then summed across regions.",
		Unit:        "trusts",
		Kind:        "SNAPSHOT",
	},
	{
		Code:        "patients_benefiting_cumulative",
		Name:        "Patients benefiting (cumulative, as published)",
		Description: "Published running total of patients benefiting since a base date. Restated totals are not sums of yearly figures, so the latest value per region in the window is taken, then summed across regions.",
		Unit:        "patients",
		Kind:        "SNAPSHOT",
	},
}
