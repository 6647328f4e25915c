package open311test

// Service types (GeoReport v2 "type").
const (
	Realtime = "realtime" // POST answers a service_request_id
	Batch    = "batch"    // POST answers a token; tokens/{token} gives the id later
	Blackbox = "blackbox" // POST answers neither: the request cannot be followed
)

// Attribute data types (GeoReport v2 "datatype").
const (
	String          = "string"
	Number          = "number"
	Datetime        = "datetime"
	Text            = "text"
	SingleValueList = "singlevaluelist"
	MultiValueList  = "multivaluelist"
)

// Service is one service the server offers. It has a definition
// (metadata=true) when it has attributes.
type Service struct {
	Code, Name, Description string
	Type                    string // Realtime, Batch or Blackbox
	Keywords                string // comma separated, as the spec writes them
	Group                   string
	Attributes              []Attribute // in the order the definition lists them
	// Notice is the service_notice of the POST answer.
	Notice string
}

// Attribute is one attribute of a service definition.
type Attribute struct {
	// Variable false means the attribute is text to show, not a question.
	Variable            bool
	Code                string
	Datatype            string
	Required            bool
	DatatypeDescription string
	Order               int
	Description         string
	Values              []Value // singlevaluelist and multivaluelist
}

// Value is one choice of a list attribute.
type Value struct {
	Key, Name string
}

// The codes of the default services and of the pothole definition's
// attributes, for tests.
const (
	Pothole     = "pothole"     // realtime, with a definition
	Streetlight = "streetlight" // batch: the token flow
	Graffiti    = "graffiti"    // blackbox, no definition
	Bulky       = "bulky_item"  // realtime, no definition

	AttrNote    = "SAFETY"  // variable=false: text to show
	AttrDepth   = "DEPTH"   // number, required
	AttrSize    = "SIZE"    // singlevaluelist, required
	AttrHazards = "HAZARDS" // multivaluelist
	AttrSeen    = "SEEN-AT" // datetime (a code that is not snake_case)
	AttrLane    = "LANE"    // string
	AttrDetails = "DETAILS" // text
	AttrNearBy  = "NEAR_BY" // string, required
	notePothole = "Do not stand in traffic to measure the hole."
)

// DefaultServices are the services a server offers unless Options.Services
// says otherwise: a realtime service with a definition that uses every data
// type (listed out of order, with a variable=false note and required
// attributes), a batch service, a blackbox service and a realtime service
// without a definition.
func DefaultServices() []Service {
	return []Service{
		{
			Code: Pothole, Name: "Pothole", Type: Realtime, Group: "Streets",
			Description: "A hole in the road surface.", Keywords: "road, hole, asphalt",
			Notice: "The road crew inspects potholes within 3 working days.",
			Attributes: []Attribute{
				{Variable: true, Code: AttrDepth, Datatype: Number, Required: true, Order: 4,
					Description: "How deep is the hole (cm)?", DatatypeDescription: "A number of centimetres."},
				{Variable: false, Code: AttrNote, Datatype: String, Order: 1, Description: notePothole},
				{Variable: true, Code: AttrSize, Datatype: SingleValueList, Required: true, Order: 2,
					Description: "How large is it?", Values: []Value{{"S", "Smaller than a plate"}, {"M", "Up to a car wheel"}, {"L", "Larger than a car wheel"}}},
				{Variable: true, Code: AttrHazards, Datatype: MultiValueList, Order: 3,
					Description: "Anything else there?", Values: []Value{{"water", "Standing water"}, {"edge", "Sharp edge"}, {"sign", "Damaged sign"}}},
				{Variable: true, Code: AttrSeen, Datatype: Datetime, Order: 6, Description: "When did you first see it?"},
				{Variable: true, Code: AttrLane, Datatype: String, Order: 5, Description: "Which lane?"},
				{Variable: true, Code: AttrDetails, Datatype: Text, Order: 7, Description: "Anything the crew should know."},
				{Variable: true, Code: AttrNearBy, Datatype: String, Required: true, Order: 8, Description: "Nearest house number or landmark."},
			},
		},
		{
			Code: Streetlight, Name: "Street light out", Type: Batch, Group: "Streets",
			Description: "A street light that is dark or flickers.", Keywords: "light, lamp",
			Notice: "Street lights are repaired in weekly rounds.",
		},
		{
			Code: Graffiti, Name: "Graffiti", Type: Blackbox, Group: "Cleaning",
			Description: "Graffiti on public property.", Keywords: "paint, tag",
			Notice: "Thank you. Graffiti reports are not tracked individually.",
		},
		{
			Code: Bulky, Name: "Bulky item left out", Type: Realtime, Group: "Cleaning",
			Description: "Furniture or appliances left on the street.",
		},
	}
}

// hasDefinition reports whether the service has a definition (metadata=true).
func (s *Service) hasDefinition() bool { return len(s.Attributes) > 0 }

// attribute returns the attribute with the given code.
func (s *Service) attribute(code string) (*Attribute, bool) {
	for i := range s.Attributes {
		if s.Attributes[i].Code == code {
			return &s.Attributes[i], true
		}
	}
	return nil, false
}

// hasKey reports whether k is one of the attribute's value keys.
func (a *Attribute) hasKey(k string) bool {
	for _, v := range a.Values {
		if v.Key == k {
			return true
		}
	}
	return false
}
